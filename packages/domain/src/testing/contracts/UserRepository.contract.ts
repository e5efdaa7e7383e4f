import { Effect } from "effect";
import { expect } from "vitest";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { UserRepository } from "../../users/UserRepository.ts";
import { contract, freshEmail } from "./harness.ts";

/** Users: one per normalized email; names only fill in what is missing; many found or created at once. */
export const userRepositoryContract = contract("UserRepository", (it) => {
  it("finds or creates one user per email, and names only fill in what is missing", function* () {
    const users = yield* UserRepository;
    const email = freshEmail("ann");
    const created = yield* users.findOrCreate({ email, firstName: "Ann", lastName: null });
    expect(created.created).toBe(true);
    const again = yield* users.findOrCreate({ email, firstName: "Other", lastName: "Lee" });
    expect(again).toEqual({ id: created.id, created: false });
    expect(yield* users.get(created.id)).toEqual({
      id: created.id,
      email,
      firstName: "Ann",
      lastName: "Lee",
      emailVerified: false,
    });
    expect(yield* users.findIdByEmail(email)).toBe(created.id);
    expect(yield* users.findIdByEmail(freshEmail("nobody"))).toBeNull();
  });

  it("creates a user verified, or marks the existing one verified, names only filling in what is missing", function* () {
    const users = yield* UserRepository;
    const ann = freshEmail("ann");
    const existing = yield* users.findOrCreate({ email: ann, firstName: "Ann", lastName: null });
    expect(yield* users.findOrCreateVerified({ email: ann, firstName: "Other", lastName: "Lee" })).toEqual({
      id: existing.id,
    });
    expect(yield* users.get(existing.id)).toEqual({
      id: existing.id,
      email: ann,
      firstName: "Ann",
      lastName: "Lee",
      emailVerified: true,
    });
    const bob = freshEmail("bob");
    const created = yield* users.findOrCreateVerified({ email: bob, firstName: "Bob", lastName: null });
    expect(yield* users.get(created.id)).toEqual({
      id: created.id,
      email: bob,
      firstName: "Bob",
      lastName: null,
      emailVerified: true,
    });
    expect(yield* users.get(yield* (yield* IdGenerator).next)).toBeNull();
  });

  it("finds or creates many at once, answering in input order", function* () {
    const users = yield* UserRepository;
    const existing = freshEmail("old");
    const { id } = yield* users.findOrCreateVerified({ email: existing, firstName: "Bob", lastName: null });
    const [cat, dan] = [freshEmail("cat"), freshEmail("dan")];
    const found = yield* users.findOrCreateMany([cat, existing, dan]);
    expect(found.map((u) => u.email)).toEqual([cat, existing, dan]);
    expect(found[1]?.id).toBe(id);
    expect(new Set(found.map((u) => u.id)).size).toBe(3);
    expect(yield* users.findIdByEmail(cat)).toBe(found[0]?.id);
    // The ones it creates are unverified and nameless; the existing one is left as it was.
    for (const created of [found[0], found[2]]) {
      expect(yield* users.get(created?.id as string)).toEqual({
        ...created,
        firstName: null,
        lastName: null,
        emailVerified: false,
      });
    }
    expect(yield* users.get(id)).toMatchObject({ firstName: "Bob", emailVerified: true });
    expect(yield* users.findOrCreateMany([dan])).toEqual([found[2]]);
  });

  it("refuses an email twice in one call (one statement cannot touch a row twice), writing nothing", function* () {
    const users = yield* UserRepository;
    const [eve, fay] = [freshEmail("eve"), freshEmail("fay")];
    const error = yield* Effect.flip(users.findOrCreateMany([fay, eve, eve]));
    expect(error._tag).toBe("RepositoryError");
    expect(yield* users.findIdByEmail(eve)).toBeNull();
    expect(yield* users.findIdByEmail(fay)).toBeNull();
  });

  it("refuses an email that is not normalized, as the database check does, writing nothing", function* () {
    const users = yield* UserRepository;
    const ann = freshEmail("ann");
    const bob = freshEmail("bob");
    for (const email of [` ${ann.toUpperCase()} `, ann.toUpperCase(), `${ann} `]) {
      const user = { email, firstName: null, lastName: null };
      expect((yield* Effect.flip(users.findOrCreate(user)))._tag).toBe("RepositoryError");
      expect((yield* Effect.flip(users.findOrCreateVerified(user)))._tag).toBe("RepositoryError");
      expect((yield* Effect.flip(users.findOrCreateMany([bob, email])))._tag).toBe("RepositoryError");
      expect(yield* users.findIdByEmail(email)).toBeNull();
    }
    expect(yield* users.findIdByEmail(bob)).toBeNull();
    expect(yield* users.findIdByEmail(ann)).toBeNull();
    // Stored and looked up as given: normalizing is the caller's job.
    const { id } = yield* users.findOrCreate({ email: ann, firstName: null, lastName: null });
    expect(yield* users.findIdByEmail(ann.toUpperCase())).toBeNull();
    expect(yield* users.findIdByEmail(ann)).toBe(id);
  });
});

import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { UserRepository } from "../../users/UserRepository.ts";
import { type AdapterSet, freshEmail, runIn } from "./harness.ts";

/** Users: one per normalized email; names only fill in what is missing; many found or created at once. */
export const userRepositoryContract = (adapters: AdapterSet) =>
  describe(`UserRepository (${adapters.name})`, () => {
    const run = runIn(adapters);

    it("finds or creates one user per email, and names only fill in what is missing", () =>
      run(
        Effect.gen(function* () {
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
          expect(yield* users.findOrCreateVerified({ email, firstName: null, lastName: null })).toEqual({
            id: created.id,
          });
          expect((yield* users.get(created.id))?.emailVerified).toBe(true);
        }),
      ));

    it("finds or creates many at once, answering in input order", () =>
      run(
        Effect.gen(function* () {
          const users = yield* UserRepository;
          const existing = freshEmail("old");
          const { id } = yield* users.findOrCreate({ email: existing, firstName: null, lastName: null });
          const fresh = freshEmail("new");
          const found = yield* users.findOrCreateMany([fresh, existing]);
          expect(found.map((u) => u.email)).toEqual([fresh, existing]);
          expect(found[1]?.id).toBe(id);
          expect(yield* users.findIdByEmail(fresh)).toBe(found[0]?.id);
        }),
      ));

    it("refuses an email that is not normalized, as the database check does", () =>
      run(
        Effect.gen(function* () {
          const users = yield* UserRepository;
          const error = yield* Effect.flip(
            users.findOrCreate({ email: " Upper@Example.com", firstName: null, lastName: null }),
          );
          expect(error._tag).toBe("RepositoryError");
        }),
      ));
  });

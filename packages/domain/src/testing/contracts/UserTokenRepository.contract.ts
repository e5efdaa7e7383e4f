import { Effect } from "effect";
import { expect } from "vitest";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { TokenGenerator } from "../../shared/TokenGenerator.ts";
import { UserRepository } from "../../users/UserRepository.ts";
import { UserTokenRepository } from "../../users/UserTokenRepository.ts";
import { contract, freshEmail } from "./harness.ts";

const user = (label: string) =>
  Effect.gen(function* () {
    const users = yield* UserRepository;
    const { id } = yield* users.findOrCreate({ email: freshEmail(label), firstName: "Ann", lastName: null });
    return (yield* users.get(id)) ?? expect.unreachable();
  });

/** User tokens: the user behind a token until the instant it expires; one token per hash. */
export const userTokenRepositoryContract = contract("UserTokenRepository", (it) => {
  it("finds the user behind a token until it expires, and nobody behind an unknown token", function* () {
    const tokens = yield* UserTokenRepository;
    const ids = yield* IdGenerator;
    const generator = yield* TokenGenerator;
    const ann = yield* user("ann");
    const { hash } = yield* generator.next("usr");
    const expiresAt = new Date(Date.UTC(2031, 0, 1, 12));
    yield* tokens.create({ id: yield* ids.next, userId: ann.id, tokenHash: hash, expiresAt });
    const at = (ms: number) => new Date(expiresAt.getTime() + ms);
    expect(yield* tokens.findUser(hash, at(-3_600_000))).toEqual(ann);
    expect(yield* tokens.findUser(hash, at(-1))).toEqual(ann);
    expect(yield* tokens.findUser(hash, at(0))).toBeNull();
    expect(yield* tokens.findUser(hash, at(1))).toBeNull();
    expect(yield* tokens.findUser((yield* generator.next("usr")).hash, at(-1))).toBeNull();
  });

  it("keeps each user's tokens apart, and lets one user hold several", function* () {
    const tokens = yield* UserTokenRepository;
    const ids = yield* IdGenerator;
    const generator = yield* TokenGenerator;
    const ann = yield* user("ann");
    const bob = yield* user("bob");
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 60_000);
    const hashes = [
      (yield* generator.next("usr")).hash,
      (yield* generator.next("usr")).hash,
      (yield* generator.next("usr")).hash,
    ] as const;
    yield* tokens.create({ id: yield* ids.next, userId: ann.id, tokenHash: hashes[0], expiresAt });
    yield* tokens.create({ id: yield* ids.next, userId: ann.id, tokenHash: hashes[1], expiresAt });
    yield* tokens.create({ id: yield* ids.next, userId: bob.id, tokenHash: hashes[2], expiresAt });
    expect((yield* tokens.findUser(hashes[0], now))?.id).toBe(ann.id);
    expect((yield* tokens.findUser(hashes[1], now))?.id).toBe(ann.id);
    expect((yield* tokens.findUser(hashes[2], now))?.id).toBe(bob.id);
  });

  it("refuses a token of a missing user, and a hash already taken, writing nothing", function* () {
    const tokens = yield* UserTokenRepository;
    const ids = yield* IdGenerator;
    const generator = yield* TokenGenerator;
    const ann = yield* user("ann");
    const bob = yield* user("bob");
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 60_000);
    const { hash } = yield* generator.next("usr");
    const orphan = yield* generator.next("usr");
    const missingUser = yield* Effect.flip(
      tokens.create({ id: yield* ids.next, userId: yield* ids.next, tokenHash: orphan.hash, expiresAt }),
    );
    expect(missingUser._tag).toBe("RepositoryError");
    expect(yield* tokens.findUser(orphan.hash, now)).toBeNull();
    yield* tokens.create({ id: yield* ids.next, userId: ann.id, tokenHash: hash, expiresAt });
    const taken = yield* Effect.flip(
      tokens.create({ id: yield* ids.next, userId: bob.id, tokenHash: hash, expiresAt }),
    );
    expect(taken._tag).toBe("RepositoryError");
    expect((yield* tokens.findUser(hash, now))?.id).toBe(ann.id);
  });
});

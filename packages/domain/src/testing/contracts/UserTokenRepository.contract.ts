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

/** A fresh token hash, as `users.issueToken` makes one. */
const freshHash = Effect.gen(function* () {
  return (yield* (yield* TokenGenerator).next("usr")).hash;
});

/** A token of `userId` under `tokenHash`, until `expiresAt`. */
const issue = (userId: string, tokenHash: string, expiresAt: Date) =>
  Effect.gen(function* () {
    const id = yield* (yield* IdGenerator).next;
    return yield* (yield* UserTokenRepository).create({ id, userId, tokenHash, expiresAt });
  });

/** Now, and a minute later. */
const aMinute = () => {
  const now = new Date();
  return { now, expiresAt: new Date(now.getTime() + 60_000) };
};

/** User tokens: the user behind a token until the instant it expires; one token per hash. */
export const userTokenRepositoryContract = contract("UserTokenRepository", (it) => {
  it("finds the user behind a token until it expires, and nobody behind an unknown token", function* () {
    const tokens = yield* UserTokenRepository;
    const ann = yield* user("ann");
    const hash = yield* freshHash;
    const expiresAt = new Date(Date.UTC(2031, 0, 1, 12));
    yield* issue(ann.id, hash, expiresAt);
    const at = (ms: number) => new Date(expiresAt.getTime() + ms);
    expect(yield* tokens.findUser(hash, at(-3_600_000))).toEqual(ann);
    expect(yield* tokens.findUser(hash, at(-1))).toEqual(ann);
    expect(yield* tokens.findUser(hash, at(0))).toBeNull();
    expect(yield* tokens.findUser(hash, at(1))).toBeNull();
    expect(yield* tokens.findUser(yield* freshHash, at(-1))).toBeNull();
  });

  it("keeps each user's tokens apart, and lets one user hold several", function* () {
    const tokens = yield* UserTokenRepository;
    const [ann, bob] = [yield* user("ann"), yield* user("bob")];
    const { now, expiresAt } = aMinute();
    const hashes = [yield* freshHash, yield* freshHash, yield* freshHash] as const;
    yield* issue(ann.id, hashes[0], expiresAt);
    yield* issue(ann.id, hashes[1], expiresAt);
    yield* issue(bob.id, hashes[2], expiresAt);
    expect((yield* tokens.findUser(hashes[0], now))?.id).toBe(ann.id);
    expect((yield* tokens.findUser(hashes[1], now))?.id).toBe(ann.id);
    expect((yield* tokens.findUser(hashes[2], now))?.id).toBe(bob.id);
  });

  it("refuses a token of a missing user, and a hash already taken, writing nothing", function* () {
    const tokens = yield* UserTokenRepository;
    const [ann, bob] = [yield* user("ann"), yield* user("bob")];
    const { now, expiresAt } = aMinute();
    const orphan = yield* freshHash;
    const missingUser = yield* Effect.flip(issue(yield* (yield* IdGenerator).next, orphan, expiresAt));
    expect(missingUser._tag).toBe("RepositoryError");
    expect(yield* tokens.findUser(orphan, now)).toBeNull();
    const hash = yield* freshHash;
    yield* issue(ann.id, hash, expiresAt);
    const taken = yield* Effect.flip(issue(bob.id, hash, expiresAt));
    expect(taken._tag).toBe("RepositoryError");
    expect((yield* tokens.findUser(hash, now))?.id).toBe(ann.id);
  });
});

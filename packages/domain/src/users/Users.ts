import { Clock, Effect } from "effect";
import type { Principal } from "../access/Principal.ts";
import { Forbidden, NotFound } from "../errors/Errors.ts";
import { IdGenerator } from "../shared/IdGenerator.ts";
import { TokenGenerator } from "../shared/TokenGenerator.ts";
import { UserRepository } from "./UserRepository.ts";
import { UserTokenRepository } from "./UserTokenRepository.ts";

export const USER_TOKEN_PREFIX = "admit_ut";

/** `users.issueToken` (global key): a secret that authenticates one user until it expires. */
export const issueUserToken = Effect.fn("Users.issueToken")(function* (
  principal: Principal,
  input: { userId: string; ttlSeconds: number },
) {
  if (principal.kind !== "global") return yield* new Forbidden({ reason: "global_key_required" });
  const user = yield* (yield* UserRepository).get(input.userId);
  if (user === null) return yield* new NotFound({ reason: "user_not_found" });
  const now = yield* Clock.currentTimeMillis;
  const token = yield* (yield* TokenGenerator).next(USER_TOKEN_PREFIX);
  const expiresAt = new Date(now + input.ttlSeconds * 1000);
  yield* (yield* UserTokenRepository).create({
    id: yield* (yield* IdGenerator).next,
    userId: user.id,
    tokenHash: token.hash,
    expiresAt,
  });
  return { token: token.token, expiresAt };
});

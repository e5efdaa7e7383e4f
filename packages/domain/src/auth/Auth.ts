import { Clock, Context, Effect } from "effect";
import type { Principal } from "../access/Principal.ts";
import { Unauthorized } from "../errors/Errors.ts";
import { TokenGenerator } from "../shared/TokenGenerator.ts";
import { ApiKeyRepository } from "../tenancy/ApiKeyRepository.ts";
import { UserTokenRepository } from "../users/UserTokenRepository.ts";

/** The hash of the configured root key (`ADMIT_ROOT_KEY`), accepted as a global key. */
export const RootKeyHash = Context.Reference<string | null>("@admit/domain/RootKeyHash", {
  defaultValue: () => null,
});

/**
 * Turns a presented bearer secret into a principal; any unknown or revoked secret is the same
 * `Unauthorized`. Untraced: it runs for every authenticated request (see `createInvite`).
 */
export const authenticate = Effect.fnUntraced(function* (secret: string | null) {
  if (secret === null || secret.length === 0) return yield* new Unauthorized({ reason: "missing_credentials" });
  const tokens = yield* TokenGenerator;
  const hash = tokens.hash(secret);
  const rootHash = yield* RootKeyHash;
  if (rootHash !== null && rootHash === hash) {
    return { kind: "global", apiKeyId: null, name: "Admit" } satisfies Principal as Principal;
  }
  if (secret.startsWith("admit_ut_")) {
    const now = yield* Clock.currentTimeMillis;
    const user = yield* (yield* UserTokenRepository).findUser(hash, new Date(now));
    if (user === null) return yield* new Unauthorized({ reason: "invalid_credentials" });
    const name = [user.firstName, user.lastName].filter(Boolean).join(" ") || user.email;
    return { kind: "user", userId: user.id, email: user.email, name } satisfies Principal as Principal;
  }
  const key = yield* (yield* ApiKeyRepository).findActiveByHash(hash);
  if (key === null) return yield* new Unauthorized({ reason: "invalid_credentials" });
  return (key.kind === "global"
    ? { kind: "global", apiKeyId: key.id, name: key.name }
    : {
        kind: "organization",
        apiKeyId: key.id,
        organizationId: key.organizationId as string,
        name: key.name,
      }) satisfies Principal as Principal;
});

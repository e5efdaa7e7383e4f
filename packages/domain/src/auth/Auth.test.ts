import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { TestClock } from "effect/testing";
import { Unauthorized } from "../errors/Errors.ts";
import * as Tenancy from "../tenancy/Tenancy.ts";
import * as InMemory from "../testing/InMemory.ts";
import { rootKey } from "../testing/Principals.ts";
import { inTestStore } from "../testing/support.ts";
import { issueUserToken } from "../users/Users.ts";
import { authenticate, RootKeyHash } from "./Auth.ts";

describe("authenticate", () => {
  it.effect("no secret is Unauthorized missing_credentials", () =>
    inTestStore(
      Effect.gen(function* () {
        for (const secret of [null, ""]) {
          const error = yield* Effect.flip(authenticate(secret));
          expect(error).toBeInstanceOf(Unauthorized);
          expect(error).toMatchObject({ reason: "missing_credentials" });
        }
      }),
    ),
  );

  it.effect("the configured root key is a global principal without a key row", () =>
    inTestStore(
      Effect.gen(function* () {
        const principal = yield* authenticate("root-secret").pipe(Effect.provideService(RootKeyHash, "h:root-secret"));
        expect(principal).toEqual({ kind: "global", apiKeyId: null, name: "Admit" });
        const wrong = yield* Effect.flip(
          authenticate("root-secret2").pipe(Effect.provideService(RootKeyHash, "h:root-secret")),
        );
        expect(wrong).toMatchObject({ _tag: "Unauthorized", reason: "invalid_credentials" });
      }),
    ),
  );

  it.effect("without a configured root key nothing is accepted as root", () =>
    inTestStore(
      Effect.gen(function* () {
        const error = yield* Effect.flip(authenticate("null"));
        expect(error).toMatchObject({ _tag: "Unauthorized", reason: "invalid_credentials" });
      }),
    ),
  );

  it.effect("stored keys authenticate as global or organization principals", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization();
        const global = yield* InMemory.seedApiKey({ kind: "global", name: "platform" });
        const scoped = yield* InMemory.seedApiKey({ kind: "organization", organizationId: org.id, name: "tenant" });
        expect(yield* authenticate(global.secret)).toEqual({
          kind: "global",
          apiKeyId: global.key.id,
          name: "platform",
        });
        expect(yield* authenticate(scoped.secret)).toEqual({
          kind: "organization",
          apiKeyId: scoped.key.id,
          organizationId: org.id,
          name: "tenant",
        });
      }),
    ),
  );

  it.effect("a key created through Tenancy works until it is revoked, then fails exactly like an unknown secret", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization();
        const created = yield* Tenancy.createApiKey(rootKey, {
          kind: "organization",
          organizationId: org.id,
          name: "app",
        });
        expect(yield* authenticate(created.secret)).toMatchObject({ kind: "organization", organizationId: org.id });
        yield* Tenancy.revokeApiKey(rootKey, { apiKeyId: created.id });
        const revoked = yield* Effect.flip(authenticate(created.secret));
        const unknown = yield* Effect.flip(authenticate("admit_sk_never_issued"));
        expect(revoked).toBeInstanceOf(Unauthorized);
        expect(revoked).toEqual(unknown);
      }),
    ),
  );

  it.effect("a user token authenticates its user until it expires", () =>
    inTestStore(
      Effect.gen(function* () {
        const ann = yield* InMemory.seedUser({ email: "ann@example.com", firstName: "Ann", lastName: "Lee" });
        const issued = yield* issueUserToken(rootKey, { userId: ann.id, ttlSeconds: 60 });
        expect(yield* authenticate(issued.token)).toEqual({
          kind: "user",
          userId: ann.id,
          email: "ann@example.com",
          name: "Ann Lee",
        });
        yield* TestClock.adjust(60_000);
        const expired = yield* Effect.flip(authenticate(issued.token));
        expect(expired).toMatchObject({ _tag: "Unauthorized", reason: "invalid_credentials" });
        expect(JSON.stringify(yield* InMemory.snapshot)).not.toContain(`"${issued.token}"`);
      }),
    ),
  );
});

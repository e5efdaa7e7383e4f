import { Effect } from "effect";
import { expect } from "vitest";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { ApiKeyRepository } from "../../tenancy/ApiKeyRepository.ts";
import { TenancyRepository } from "../../tenancy/TenancyRepository.ts";
import { contract, inTurn } from "./harness.ts";

/** Hashes stand in for secrets; each test uses its own so runs sharing a database never collide. */
const freshHash = () => `${Date.now().toString(16)}${Math.random().toString(16).slice(2)}`.padEnd(64, "0");

/** API keys: found by secret hash while unrevoked, revoked idempotently, listed newest first. */
export const apiKeyRepositoryContract = contract("ApiKeyRepository", (it) => {
  it("finds an active key by its hash, never shows the hash, and revokes once", function* () {
    const keys = yield* ApiKeyRepository;
    const ids = yield* IdGenerator;
    const org = yield* (yield* TenancyRepository).createOrganization({ id: yield* ids.next, name: "Acme" });
    const secretHash = freshHash();
    const key = yield* keys.create({
      id: yield* ids.next,
      kind: "organization",
      organizationId: org.id,
      name: "k",
      secretHash,
    });
    expect(key).toMatchObject({ kind: "organization", organizationId: org.id, revokedAt: null });
    expect(key).not.toHaveProperty("secretHash");
    expect(yield* keys.findActiveByHash(secretHash)).toEqual(key);
    expect(yield* keys.get(key.id)).toEqual(key);
    const revoked = yield* keys.revoke(key.id);
    expect(revoked?.revokedAt).toBeInstanceOf(Date);
    expect(yield* keys.findActiveByHash(secretHash)).toBeNull();
    expect((yield* keys.revoke(key.id))?.revokedAt).toEqual(revoked?.revokedAt);
    expect(yield* keys.revoke(yield* ids.next)).toBeNull();
  });

  it("lists an organization's keys newest first, page by page", function* () {
    const keys = yield* ApiKeyRepository;
    const ids = yield* IdGenerator;
    const org = yield* (yield* TenancyRepository).createOrganization({ id: yield* ids.next, name: "Acme" });
    yield* inTurn(["a", "b", "c"], (name) =>
      Effect.flatMap(ids.next, (id) =>
        keys.create({ id, kind: "organization", organizationId: org.id, name, secretHash: freshHash() }),
      ),
    );
    const first = yield* keys.list(org.id, { cursor: null, limit: 2 });
    expect(first.items.map((k) => k.name)).toEqual(["c", "b"]);
    const second = yield* keys.list(org.id, { cursor: first.nextCursor, limit: 2 });
    expect(second).toMatchObject({ items: [{ name: "a" }], nextCursor: null });
  });
});

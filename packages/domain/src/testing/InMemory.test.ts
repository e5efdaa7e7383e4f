import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { TestClock } from "effect/testing";
import { RepositoryError } from "../errors/Errors.ts";
import { InviteRepository } from "../invites/InviteRepository.ts";
import { LinkInviteRepository } from "../links/LinkInviteRepository.ts";
import { MembershipRepository } from "../members/MembershipRepository.ts";
import { IdGenerator } from "../shared/IdGenerator.ts";
import { TokenGenerator } from "../shared/TokenGenerator.ts";
import { Transactor } from "../shared/Transactor.ts";
import { TenancyRepository } from "../tenancy/TenancyRepository.ts";
import { UserRepository } from "../users/UserRepository.ts";
import { inviteByEmail, world } from "./contracts/fixtures.ts";
import * as InMemory from "./InMemory.ts";
import { inTestStore } from "./support.ts";

/**
 * What the in-memory adapters do that no port shows: the transactor, the id and token
 * generators, foreign keys, fault injection, concurrency, and what the store keeps beyond the
 * ports' answers. What any adapter of a port must do is in `contracts/`, run on both.
 */
describe("InMemory adapters (the semantics domain tests rely on)", () => {
  it.effect("IdGenerator issues distinct UUID-shaped ids; TokenGenerator prefixed tokens with a stable hash", () =>
    inTestStore(
      Effect.gen(function* () {
        const ids = yield* IdGenerator;
        const a = yield* ids.next;
        const b = yield* ids.next;
        expect(a).not.toBe(b);
        expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        const tokens = yield* TokenGenerator;
        const t1 = yield* tokens.next("inv");
        const t2 = yield* tokens.next("inv");
        expect(t1.token).toMatch(/^inv_/);
        expect(t1.token).not.toBe(t2.token);
        expect(t1.hash).toBe(tokens.hash(t1.token));
        expect(t1.hash).not.toBe(t1.token);
      }),
    ),
  );

  it.effect("Transactor keeps the writes of a successful effect and restores the store when it fails", () =>
    inTestStore(
      Effect.gen(function* () {
        const tx = yield* Transactor;
        const tenancy = yield* TenancyRepository;
        yield* tx.withTransaction(tenancy.createOrganization({ id: "o1", name: "kept" }));
        const before = yield* InMemory.snapshot;
        const failed = yield* Effect.flip(
          tx.withTransaction(
            Effect.gen(function* () {
              yield* tenancy.createOrganization({ id: "o2", name: "lost" });
              yield* tenancy.createWebsite({ id: "w1", organizationId: "o1", name: "lost too", url: null });
              return yield* Effect.fail("boom" as const);
            }),
          ),
        );
        expect(failed).toBe("boom");
        expect(yield* InMemory.snapshot).toEqual(before);
        expect((yield* InMemory.snapshot).organizations.map((o) => o.name)).toEqual(["kept"]);
      }),
    ),
  );

  it.effect("a failing commit rolls back too", () =>
    inTestStore(
      Effect.gen(function* () {
        const tx = yield* Transactor;
        const tenancy = yield* TenancyRepository;
        yield* InMemory.failOn("Transactor.commit");
        const error = yield* Effect.flip(tx.withTransaction(tenancy.createOrganization({ id: "o1", name: "x" })));
        expect(error).toBeInstanceOf(RepositoryError);
        expect((yield* InMemory.snapshot).organizations).toEqual([]);
        yield* InMemory.clearFaults;
        yield* tx.withTransaction(tenancy.createOrganization({ id: "o1", name: "x" }));
        expect((yield* InMemory.snapshot).organizations).toHaveLength(1);
      }),
    ),
  );

  it.effect("a fault injected into UserRepository.findOrCreateMany writes nothing", () =>
    inTestStore(
      Effect.gen(function* () {
        const users = yield* UserRepository;
        yield* InMemory.seedUser({ email: "bob@example.com" });
        const before = yield* InMemory.snapshot;
        yield* InMemory.failOn("UserRepository.findOrCreateMany");
        expect(yield* Effect.flip(users.findOrCreateMany(["fay@example.com"]))).toBeInstanceOf(RepositoryError);
        expect(yield* InMemory.snapshot).toEqual(before);
      }),
    ),
  );

  it.effect("UserRepository.findOrCreate makes one user under concurrent calls", () =>
    inTestStore(
      Effect.gen(function* () {
        const users = yield* UserRepository;
        const results = yield* Effect.all(
          Array.from({ length: 20 }, (_, i) =>
            users.findOrCreate({ email: "ann@example.com", firstName: i % 2 ? "Ann" : null, lastName: null }),
          ),
          { concurrency: "unbounded" },
        );
        expect(new Set(results.map((r) => r.id)).size).toBe(1);
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect((yield* InMemory.snapshot).users).toHaveLength(1);
      }),
    ),
  );

  it.effect("broken references are RepositoryErrors that write nothing, like foreign keys", () =>
    inTestStore(
      Effect.gen(function* () {
        const tenancy = yield* TenancyRepository;
        const error = yield* Effect.flip(
          tenancy.createWebsite({ id: "w", organizationId: "missing", name: "w", url: null }),
        );
        expect(error).toBeInstanceOf(RepositoryError);
        const members = yield* MembershipRepository;
        expect(
          yield* Effect.flip(members.addMany("no-user", [{ type: "organization", id: "o" }], "read", false)),
        ).toBeInstanceOf(RepositoryError);
        expect(yield* InMemory.snapshot).toEqual(InMemory.emptyState);
      }),
    ),
  );

  it.effect("InviteRepository.respond records who answered, on pending invites only", () =>
    inTestStore(
      Effect.gen(function* () {
        const { organization, website } = yield* world;
        const { ids } = yield* inviteByEmail("ann@example.com", [organization, website]);
        const [first, second] = ids as [string, string];
        const invites = yield* InviteRepository;
        yield* invites.respond([first], "accepted", "user-1");
        yield* invites.respond([first, second], "declined", null);
        // Not readable through the port: the row keeps who answered it.
        expect((yield* InMemory.snapshot).invites.map((i) => [i.id, i.status, i.respondedBy])).toEqual([
          [first, "accepted", "user-1"],
          [second, "declined", null],
        ]);
      }),
    ),
  );

  it.effect("LinkInviteRepository keeps the code sealed, stamps updates, and keeps a revoked row", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization();
        const { link, code } = yield* InMemory.seedLinkInvite(org.id, { maxUses: 2 });
        const links = yield* LinkInviteRepository;
        expect(code).toMatch(/^lnk_/);
        expect((yield* links.get(org.id, link.id))?.code).toBe(code);
        expect(JSON.stringify(yield* InMemory.snapshot)).not.toContain(`"${code}"`);
        yield* TestClock.adjust(10);
        yield* links.update(org.id, link.id, { role: "read" });
        expect((yield* InMemory.snapshot).linkInvites[0]?.updatedAt).toEqual(new Date(10));
        expect(yield* links.revoke(org.id, link.id)).toBe(true);
        expect((yield* InMemory.snapshot).linkInvites).toMatchObject([{ id: link.id, revokedAt: new Date(10) }]);
      }),
    ),
  );

  it.effect("Transactor runs transactions one at a time; a nested transaction joins the outer one", () =>
    inTestStore(
      Effect.gen(function* () {
        const tx = yield* Transactor;
        const tenancy = yield* TenancyRepository;
        // Read, wait, then write from the read: interleaved, two of these would lose an update.
        const bump = tx.withTransaction(
          Effect.gen(function* () {
            const count = (yield* InMemory.snapshot).organizations.length;
            yield* Effect.yieldNow;
            yield* tenancy.createOrganization({ id: `o${count}`, name: `n${count}` });
          }),
        );
        yield* Effect.all(
          Array.from({ length: 5 }, () => bump),
          { concurrency: "unbounded" },
        );
        expect((yield* InMemory.snapshot).organizations.map((o) => o.id)).toEqual(["o0", "o1", "o2", "o3", "o4"]);

        const before = yield* InMemory.snapshot;
        const failed = yield* Effect.flip(
          tx.withTransaction(
            Effect.gen(function* () {
              yield* tx.withTransaction(tenancy.createOrganization({ id: "inner", name: "inner" }));
              return yield* Effect.fail("outer fails" as const);
            }),
          ),
        );
        expect(failed).toBe("outer fails");
        expect(yield* InMemory.snapshot, "the inner writes roll back with the outer transaction").toEqual(before);
      }),
    ),
  );
});

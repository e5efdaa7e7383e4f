import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { TestClock } from "effect/testing";
import { effectiveRoles } from "../access/EffectiveRoles.ts";
import { DeliveryRepository } from "../deliveries/DeliveryRepository.ts";
import { RepositoryError } from "../errors/Errors.ts";
import { InviteRepository, type NewInvite } from "../invites/InviteRepository.ts";
import { LinkInviteRepository, type NewLinkInvite } from "../links/LinkInviteRepository.ts";
import { MembershipRepository } from "../members/MembershipRepository.ts";
import { IdGenerator } from "../shared/IdGenerator.ts";
import { TokenGenerator } from "../shared/TokenGenerator.ts";
import { Transactor } from "../shared/Transactor.ts";
import { TargetRepository } from "../targets/TargetRepository.ts";
import { ApiKeyRepository } from "../tenancy/ApiKeyRepository.ts";
import { TenancyRepository } from "../tenancy/TenancyRepository.ts";
import { UserRepository } from "../users/UserRepository.ts";
import { UserTokenRepository } from "../users/UserTokenRepository.ts";
import * as InMemory from "./InMemory.ts";

const inTestStore = <A, E, R>(self: Effect.Effect<A, E, R>) => self.pipe(Effect.provide(InMemory.layerTest));

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

  it.effect(
    "UserRepository.findOrCreate is unique per email, creates users unverified and only fills in missing names",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const users = yield* UserRepository;
          const first = yield* users.findOrCreate({ email: "ann@example.com", firstName: "Ann", lastName: null });
          const again = yield* users.findOrCreate({ email: "ann@example.com", firstName: "Other", lastName: "Name" });
          expect(first.created).toBe(true);
          expect(again).toEqual({ id: first.id, created: false });
          expect(yield* users.findIdByEmail("ann@example.com")).toBe(first.id);
          expect(yield* users.findIdByEmail("bob@example.com")).toBeNull();
          const { users: rows } = yield* InMemory.snapshot;
          expect(rows).toHaveLength(1);
          expect(rows[0]).toMatchObject({
            email: "ann@example.com",
            firstName: "Ann",
            lastName: "Name",
            emailVerified: false,
          });
        }),
      ),
  );

  it.effect(
    "emails are stored and compared as given: a user with an unnormalized email breaks the users.email check",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const users = yield* UserRepository;
          const before = yield* InMemory.snapshot;
          for (const email of [" Ann@Example.COM ", "ANN@example.com", "ann@example.com "]) {
            const error = yield* Effect.flip(users.findOrCreate({ email, firstName: null, lastName: null }));
            expect(error).toBeInstanceOf(RepositoryError);
            expect(
              yield* Effect.flip(users.findOrCreateVerified({ email, firstName: null, lastName: null })),
            ).toBeInstanceOf(RepositoryError);
            expect(yield* Effect.flip(users.findOrCreateMany(["bob@example.com", email]))).toBeInstanceOf(
              RepositoryError,
            );
          }
          expect(yield* InMemory.snapshot).toEqual(before);
          const ann = yield* users.findOrCreate({ email: "ann@example.com", firstName: null, lastName: null });
          expect(yield* users.findIdByEmail("ANN@example.com")).toBeNull();
          expect(yield* users.findIdByEmail("ann@example.com")).toBe(ann.id);
        }),
      ),
  );

  it.effect(
    "UserRepository.findOrCreateMany creates the missing users unverified and answers in input order, in one write",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const bob = yield* InMemory.seedUser({ email: "bob@example.com", emailVerified: true, firstName: "Bob" });
          const users = yield* UserRepository;
          const found = yield* users.findOrCreateMany(["cat@example.com", "bob@example.com", "dan@example.com"]);
          expect(found.map((u) => u.email)).toEqual(["cat@example.com", "bob@example.com", "dan@example.com"]);
          expect(found[1]?.id).toBe(bob.id);
          expect(new Set(found.map((u) => u.id)).size).toBe(3);
          const rows = (yield* InMemory.snapshot).users;
          expect(rows.map((u) => [u.id, u.email, u.emailVerified, u.firstName])).toEqual([
            [bob.id, "bob@example.com", true, "Bob"],
            [found[0]?.id, "cat@example.com", false, null],
            [found[2]?.id, "dan@example.com", false, null],
          ]);
          expect(yield* users.findOrCreateMany(["dan@example.com"])).toEqual([found[2]]);
          expect((yield* InMemory.snapshot).users).toHaveLength(3);

          // One upsert statement cannot touch the same row twice.
          const before = yield* InMemory.snapshot;
          const twice = yield* Effect.flip(users.findOrCreateMany(["eve@example.com", "eve@example.com"]));
          expect(twice).toBeInstanceOf(RepositoryError);
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

  it.effect("TargetRepository.resolve answers existing targets with their owning organization", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization();
        const site = yield* InMemory.seedWebsite(org.id);
        const group = yield* InMemory.seedGroup({ websiteIds: [site.id] });
        const resolved = yield* (yield* TargetRepository).resolve([
          { type: "organization", id: org.id },
          { type: "website", id: site.id },
          { type: "group", id: group.id },
          { type: "website", id: org.id },
          { type: "organization", id: "missing" },
        ]);
        expect(resolved).toEqual([
          { type: "organization", id: org.id, organizationId: org.id },
          { type: "website", id: site.id, organizationId: org.id },
          { type: "group", id: group.id, organizationId: null },
        ]);
      }),
    ),
  );

  it.effect(
    "MembershipRepository: addMany skips existing memberships; effectiveRoles takes the higher of own and organization role",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const org = yield* InMemory.seedOrganization();
          const other = yield* InMemory.seedOrganization();
          const site = yield* InMemory.seedWebsite(org.id);
          const foreignSite = yield* InMemory.seedWebsite(other.id);
          const group = yield* InMemory.seedGroup({ websiteIds: [site.id] });
          const user = yield* InMemory.seedUser({ email: "ann@example.com" });
          const members = yield* MembershipRepository;

          const added = yield* members.addMany(user.id, [{ type: "organization", id: org.id }], "admin", false);
          expect(added).toEqual([{ type: "organization", id: org.id }]);
          const addedAgain = yield* members.addMany(
            user.id,
            [
              { type: "organization", id: org.id },
              { type: "website", id: site.id },
              { type: "website", id: site.id },
            ],
            "read",
            false,
          );
          expect(addedAgain).toEqual([{ type: "website", id: site.id }]);
          expect((yield* InMemory.snapshot).memberships.find((m) => m.target.type === "organization")?.role).toBe(
            "admin",
          );

          yield* InMemory.seedMembership(user.id, { type: "website", id: foreignSite.id }, "comment");
          const roles = yield* effectiveRoles(user.id, [
            { type: "website", id: site.id, organizationId: org.id },
            { type: "website", id: foreignSite.id, organizationId: other.id },
            { type: "organization", id: other.id, organizationId: other.id },
            { type: "group", id: group.id, organizationId: null },
          ]);
          expect(Object.fromEntries(roles)).toEqual({
            [`website:${site.id}`]: "admin",
            [`website:${foreignSite.id}`]: "comment",
          });

          expect(
            yield* members.memberTargetsByEmail("ann@example.com", [
              { type: "website", id: site.id },
              { type: "group", id: group.id },
            ]),
          ).toEqual([{ type: "website", id: site.id }]);
          expect(yield* members.memberTargetsByEmail("nobody@example.com", [{ type: "website", id: site.id }])).toEqual(
            [],
          );
        }),
      ),
  );

  it.effect("InviteRepository.upsertPending replaces the pending invite for the same email and target in place", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization();
        const target = { type: "organization" as const, id: org.id, organizationId: org.id };
        const invite = (id: string, deliveryId: string, overrides: Partial<NewInvite> = {}): NewInvite => ({
          id,
          email: "ann@example.com",
          target,
          role: "read",
          deliveryId,
          inviter: { kind: "root", id: null, name: "Admit" },
          firstName: null,
          lastName: null,
          expiresAt: new Date(1000),
          ...overrides,
        });
        const invites = yield* InviteRepository;
        expect(yield* invites.upsertPending([invite("i1", "d1")])).toEqual(["i1"]);
        expect(yield* invites.upsertPending([invite("i2", "d2", { role: "edit" })])).toEqual(["i1"]);
        expect(yield* invites.upsertPending([invite("i3", "d3", { email: "bob@example.com" })])).toEqual(["i3"]);
        const rows = (yield* InMemory.snapshot).invites;
        expect(rows.map((r) => [r.id, r.email, r.role, r.deliveryId])).toEqual([
          ["i1", "ann@example.com", "edit", "d2"],
          ["i3", "bob@example.com", "read", "d3"],
        ]);
      }),
    ),
  );

  it.effect("TenancyRepository and ApiKeyRepository page newest first, and revoking a key is idempotent", () =>
    inTestStore(
      Effect.gen(function* () {
        const tenancy = yield* TenancyRepository;
        for (const id of ["c", "a", "b"]) {
          yield* tenancy.createOrganization({ id, name: id });
          yield* TestClock.adjust("1 second");
        }
        const first = yield* tenancy.listOrganizations({ cursor: null, limit: 2 }, null);
        expect(first.items.map((o) => o.id)).toEqual(["b", "a"]);
        expect(first.nextCursor).not.toBeNull();
        const second = yield* tenancy.listOrganizations({ cursor: first.nextCursor, limit: 2 }, null);
        expect(second).toMatchObject({ items: [{ id: "c" }], nextCursor: null });
        expect((yield* tenancy.listOrganizations({ cursor: null, limit: 10 }, "b")).items.map((o) => o.id)).toEqual([
          "b",
        ]);

        const keys = yield* ApiKeyRepository;
        yield* keys.create({ id: "k1", kind: "organization", organizationId: "a", name: "k", secretHash: "h:s" });
        expect(yield* keys.findActiveByHash("h:s")).toMatchObject({ id: "k1", revokedAt: null });
        expect(yield* keys.findActiveByHash("h:s")).not.toHaveProperty("secretHash");
        const revoked = yield* keys.revoke("k1");
        expect(revoked?.revokedAt).toBeInstanceOf(Date);
        expect(yield* keys.findActiveByHash("h:s")).toBeNull();
        expect((yield* keys.revoke("k1"))?.revokedAt).toEqual(revoked?.revokedAt);
        expect(yield* keys.revoke("nope")).toBeNull();
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
  it.effect("UserRepository.findOrCreateVerified creates verified users and marks existing ones verified", () =>
    inTestStore(
      Effect.gen(function* () {
        const users = yield* UserRepository;
        const existing = yield* InMemory.seedUser({ email: "ann@example.com", firstName: "Ann" });
        expect(
          yield* users.findOrCreateVerified({ email: "ann@example.com", firstName: null, lastName: "Lee" }),
        ).toEqual({
          id: existing.id,
        });
        const created = yield* users.findOrCreateVerified({
          email: "bob@example.com",
          firstName: "Bob",
          lastName: null,
        });
        expect(yield* users.get(existing.id)).toEqual({
          id: existing.id,
          email: "ann@example.com",
          firstName: "Ann",
          lastName: "Lee",
          emailVerified: true,
        });
        expect(yield* users.get(created.id)).toMatchObject({ email: "bob@example.com", emailVerified: true });
        expect(yield* users.get("missing")).toBeNull();
      }),
    ),
  );

  it.effect("MembershipRepository.roleOf / updateRole / remove act on the user's own membership only", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization();
        const site = yield* InMemory.seedWebsite(org.id);
        const ann = yield* InMemory.seedUser({ email: "ann@example.com" });
        const bob = yield* InMemory.seedUser({ email: "bob@example.com" });
        const orgTarget = { type: "organization" as const, id: org.id };
        const siteTarget = { type: "website" as const, id: site.id };
        yield* InMemory.seedMembership(ann.id, orgTarget, "admin");
        yield* InMemory.seedMembership(bob.id, siteTarget, "read");
        const members = yield* MembershipRepository;
        expect(yield* members.roleOf(siteTarget, ann.id)).toBeNull();
        expect(yield* members.roleOf(orgTarget, ann.id)).toBe("admin");
        expect(yield* members.updateRole(siteTarget, bob.id, "edit")).toMatchObject({
          userId: bob.id,
          email: "bob@example.com",
          role: "edit",
        });
        expect(yield* members.updateRole(siteTarget, ann.id, "edit")).toBeNull();
        expect(yield* members.remove(orgTarget, bob.id)).toBe(false);
        expect(yield* members.remove(orgTarget, ann.id)).toBe(true);
        expect((yield* InMemory.snapshot).memberships.map((m) => [m.userId, m.role])).toEqual([[bob.id, "edit"]]);
      }),
    ),
  );

  it.effect("TargetRepository.describe names existing targets and their organizations", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization({ name: "Acme" });
        const site = yield* InMemory.seedWebsite(org.id, { name: "acme.io" });
        const group = yield* InMemory.seedGroup({ name: "Portfolio" });
        const described = yield* (yield* TargetRepository).describe([
          { type: "website", id: site.id },
          { type: "group", id: group.id },
          { type: "organization", id: org.id },
          { type: "website", id: "missing" },
        ]);
        expect(Object.fromEntries(described)).toEqual({
          [`website:${site.id}`]: { name: "acme.io", organization: { id: org.id, name: "Acme" } },
          [`group:${group.id}`]: { name: "Portfolio", organization: null },
          [`organization:${org.id}`]: { name: "Acme", organization: { id: org.id, name: "Acme" } },
        });
      }),
    ),
  );

  it.effect(
    "InviteRepository: get, token lookup, respond (pending only), redeliver, and newest-first filtered lists",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const org = yield* InMemory.seedOrganization();
          const other = yield* InMemory.seedOrganization();
          const site = yield* InMemory.seedWebsite(org.id);
          const invites = yield* InviteRepository;
          const deliveries = yield* DeliveryRepository;
          const enqueue = (id: string, email: string, kind: "invite" | "resend" = "invite") =>
            deliveries.enqueue({ id, email, token: `t-${id}`, tokenHash: `h:t-${id}`, inviterName: "Admit", kind });
          const invite = (
            id: string,
            email: string,
            target: NewInvite["target"],
            deliveryId: string,
            expiresAt: number,
          ): NewInvite => ({
            id,
            email,
            target,
            role: "read",
            deliveryId,
            inviter: { kind: "root", id: null, name: "Admit" },
            firstName: null,
            lastName: null,
            expiresAt: new Date(expiresAt),
          });
          const orgT = { type: "organization" as const, id: org.id, organizationId: org.id };
          const siteT = { type: "website" as const, id: site.id, organizationId: org.id };
          const otherT = { type: "organization" as const, id: other.id, organizationId: other.id };

          yield* enqueue("d1", "ann@example.com");
          yield* invites.upsertPending([
            invite("i1", "ann@example.com", orgT, "d1", 10_000),
            invite("i2", "ann@example.com", siteT, "d1", 10_000),
          ]);
          yield* TestClock.adjust(1);
          yield* enqueue("d2", "bob@example.com");
          yield* invites.upsertPending([invite("i3", "bob@example.com", otherT, "d2", 500)]);
          yield* TestClock.adjust(1);
          yield* enqueue("d3", "cat@example.com");
          yield* invites.upsertPending([invite("i4", "cat@example.com", siteT, "d3", 10_000)]);

          expect(yield* invites.get("i1")).toMatchObject({
            id: "i1",
            status: "pending",
            delivery: { id: "d1", status: "queued", lastError: null },
          });
          expect(yield* invites.get("nope")).toBeNull();
          const byToken = yield* invites.findByTokenHash("h:t-d1");
          expect(byToken?.email).toBe("ann@example.com");
          expect(byToken?.invites.map((i) => i.id)).toEqual(["i1", "i2"]);
          expect(yield* invites.findByTokenHash("h:unknown")).toBeNull();

          const now = new Date(1000);
          const ids = (filter: Partial<Parameters<typeof invites.list>[0]>, limit = 50, cursor: string | null = null) =>
            invites
              .list({ now, ...filter }, { cursor, limit })
              .pipe(Effect.map((p) => ({ ids: p.items.map((i) => i.id), next: p.nextCursor })));
          expect((yield* ids({})).ids).toEqual(["i4", "i3", "i2", "i1"]);
          expect((yield* ids({ organizationId: org.id })).ids).toEqual(["i4", "i2", "i1"]);
          expect((yield* ids({ websiteId: site.id })).ids).toEqual(["i4", "i2"]);
          expect((yield* ids({ email: "bob@example.com" })).ids).toEqual(["i3"]);
          // Compared as given, like SQL: normalizing the filter is the use case's job.
          expect((yield* ids({ email: "BOB@example.com" })).ids).toEqual([]);
          expect((yield* ids({ status: "expired" })).ids).toEqual(["i3"]);
          expect((yield* ids({ status: "pending" })).ids).toEqual(["i4", "i2", "i1"]);
          const page1 = yield* ids({}, 3);
          expect(page1.ids).toEqual(["i4", "i3", "i2"]);
          expect((yield* ids({}, 3, page1.next)).ids).toEqual(["i1"]);

          yield* invites.respond(["i1", "i3"], "accepted", "user-1");
          yield* invites.respond(["i1"], "declined", null);
          expect((yield* InMemory.snapshot).invites.map((i) => [i.id, i.status, i.respondedBy])).toEqual([
            ["i1", "accepted", "user-1"],
            ["i2", "pending", null],
            ["i3", "accepted", "user-1"],
            ["i4", "pending", null],
          ]);
          expect((yield* ids({ status: "accepted" })).ids).toEqual(["i3", "i1"]);

          yield* enqueue("d5", "ann@example.com", "resend");
          yield* invites.redeliver("i2", "d5", new Date(99_000));
          expect((yield* invites.findByTokenHash("h:t-d1"))?.invites.map((i) => i.id)).toEqual(["i1"]);
          expect(yield* invites.get("i2")).toMatchObject({ expiresAt: new Date(99_000), delivery: { id: "d5" } });
        }),
      ),
  );

  it.effect("DeliveryRepository.countResends counts resends to one recipient since a time", () =>
    inTestStore(
      Effect.gen(function* () {
        const deliveries = yield* DeliveryRepository;
        const enqueue = (id: string, email: string, kind: "invite" | "resend") =>
          deliveries.enqueue({ id, email, token: id, tokenHash: `h:${id}`, inviterName: "Admit", kind });
        yield* enqueue("d1", "ann@example.com", "resend");
        yield* TestClock.adjust(1000);
        yield* enqueue("d2", "ann@example.com", "resend");
        yield* enqueue("d3", "ann@example.com", "invite");
        yield* enqueue("d4", "bob@example.com", "resend");
        expect(yield* deliveries.countResends("ann@example.com", new Date(0))).toBe(2);
        expect(yield* deliveries.countResends("ann@example.com", new Date(500))).toBe(1);
        expect(yield* deliveries.countResends("cat@example.com", new Date(0))).toBe(0);
      }),
    ),
  );

  it.effect("UserTokenRepository finds the user behind an unexpired token only", () =>
    inTestStore(
      Effect.gen(function* () {
        const ann = yield* InMemory.seedUser({ email: "ann@example.com" });
        const tokens = yield* UserTokenRepository;
        yield* tokens.create({ id: "t1", userId: ann.id, tokenHash: "h:ut", expiresAt: new Date(1000) });
        expect(yield* tokens.findUser("h:ut", new Date(999))).toMatchObject({ id: ann.id, email: "ann@example.com" });
        expect(yield* tokens.findUser("h:ut", new Date(1000))).toBeNull();
        expect(yield* tokens.findUser("h:other", new Date(0))).toBeNull();
        const error = yield* Effect.flip(
          tokens.create({ id: "t2", userId: "nobody", tokenHash: "h:x", expiresAt: new Date(1) }),
        );
        expect(error).toBeInstanceOf(RepositoryError);
      }),
    ),
  );

  it.effect(
    "MembershipRepository.addUsers adds new members of one target, answering the added user ids; inOtherOrganizations",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const org = yield* InMemory.seedOrganization();
          const other = yield* InMemory.seedOrganization();
          const site = yield* InMemory.seedWebsite(other.id);
          const ann = yield* InMemory.seedUser({ email: "ann@example.com" });
          const bob = yield* InMemory.seedUser({ email: "bob@example.com" });
          const cat = yield* InMemory.seedUser({ email: "cat@example.com" });
          const orgT = { type: "organization" as const, id: org.id };
          yield* InMemory.seedMembership(ann.id, orgT, "admin");
          const members = yield* MembershipRepository;
          const added = yield* members.addUsers(orgT, [
            { userId: ann.id, role: "read", sso: false },
            { userId: bob.id, role: "edit", sso: true },
            { userId: cat.id, role: "read", sso: false },
            { userId: bob.id, role: "admin", sso: false },
          ]);
          expect(added).toEqual([bob.id, cat.id]);
          const rows = (yield* InMemory.snapshot).memberships;
          expect(rows.map((m) => [m.userId, m.role, m.sso])).toEqual([
            [ann.id, "admin", false],
            [bob.id, "edit", true],
            [cat.id, "read", false],
          ]);

          const before = yield* InMemory.snapshot;
          const broken = yield* Effect.flip(
            members.addUsers({ type: "organization", id: other.id }, [
              { userId: cat.id, role: "read", sso: false },
              { userId: "nobody", role: "read", sso: false },
            ]),
          );
          expect(broken).toBeInstanceOf(RepositoryError);
          expect(yield* InMemory.snapshot).toEqual(before);

          yield* InMemory.seedMembership(bob.id, { type: "organization", id: other.id }, "read");
          yield* InMemory.seedMembership(cat.id, { type: "website", id: site.id }, "read");
          // Only organization memberships count, and not the one in `organizationId` itself.
          expect(yield* members.inOtherOrganizations([ann.id, bob.id, cat.id, bob.id], org.id)).toEqual([bob.id]);
          expect(yield* members.inOtherOrganizations([ann.id, bob.id], other.id)).toEqual([ann.id, bob.id]);
          expect(yield* members.inOtherOrganizations([], org.id)).toEqual([]);
        }),
      ),
  );

  it.effect(
    "LinkInviteRepository: create stores the code hash only; get, lockByCodeHash and update stay in one organization",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const org = yield* InMemory.seedOrganization();
          const other = yield* InMemory.seedOrganization();
          const links = yield* LinkInviteRepository;
          const newLink = (id: string, codeHash: string, organizationId = org.id): NewLinkInvite => ({
            id,
            organizationId,
            role: "edit",
            sso: true,
            expiresAt: null,
            maxUses: 2,
            allowedEmailDomains: ["example.com"],
            createdBy: { kind: "root", id: null, name: "Admit" },
            codeHash,
          });
          const created = yield* links.create(newLink("l1", "h:code-1"));
          expect(created).toEqual({
            id: "l1",
            organizationId: org.id,
            role: "edit",
            sso: true,
            expiresAt: null,
            maxUses: 2,
            uses: 0,
            allowedEmailDomains: ["example.com"],
            disabled: false,
            createdBy: { kind: "root", id: null, name: "Admit" },
            createdAt: new Date(0),
          });
          expect(created).not.toHaveProperty("codeHash");
          expect(yield* links.get(org.id, "l1", { lock: true })).toEqual(created);
          expect(yield* links.get(other.id, "l1")).toBeNull();
          expect(yield* links.lockByCodeHash(org.id, "h:code-1")).toEqual(created);
          expect(yield* links.lockByCodeHash(other.id, "h:code-1")).toBeNull();
          expect(yield* links.lockByCodeHash(org.id, "h:other")).toBeNull();

          for (const broken of [
            newLink("l1", "h:code-2"),
            newLink("l2", "h:code-1"),
            newLink("l3", "h:code-3", "no-such-organization"),
            { ...newLink("l4", "h:code-4"), maxUses: 0 },
          ]) {
            const before = yield* InMemory.snapshot;
            expect(yield* Effect.flip(links.create(broken))).toBeInstanceOf(RepositoryError);
            expect(yield* InMemory.snapshot).toEqual(before);
          }

          yield* TestClock.adjust(10);
          expect(yield* links.update(other.id, "l1", { disabled: true })).toBeNull();
          const updated = yield* links.update(org.id, "l1", { role: "read", expiresAt: new Date(5000) });
          expect(updated).toMatchObject({
            role: "read",
            expiresAt: new Date(5000),
            maxUses: 2,
            disabled: false,
            sso: true,
          });
          const cleared = yield* links.update(org.id, "l1", { expiresAt: null, maxUses: null, disabled: true });
          expect(cleared).toMatchObject({ role: "read", expiresAt: null, maxUses: null, disabled: true });
          expect(yield* links.get(org.id, "l1")).toEqual(cleared);
          expect((yield* InMemory.snapshot).linkInvites[0]?.updatedAt).toEqual(new Date(10));
        }),
      ),
  );

  it.effect("LinkInviteRepository: countUse never passes maxUses; revoked links are gone for every lookup", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization();
        const other = yield* InMemory.seedOrganization();
        const { link, code } = yield* InMemory.seedLinkInvite(org.id, { maxUses: 2 });
        const links = yield* LinkInviteRepository;
        const tokens = yield* TokenGenerator;
        expect(code).toMatch(/^lnk_/);
        expect(JSON.stringify(yield* InMemory.snapshot)).not.toContain(`"${code}"`);
        yield* links.countUse(link.id);
        yield* links.countUse(link.id);
        expect((yield* links.get(org.id, link.id))?.uses).toBe(2);
        expect(yield* Effect.flip(links.countUse(link.id))).toBeInstanceOf(RepositoryError);
        expect(yield* Effect.flip(links.update(org.id, link.id, { maxUses: 1 }))).toBeInstanceOf(RepositoryError);
        expect((yield* links.get(org.id, link.id))?.uses).toBe(2);

        expect(yield* links.revoke(other.id, link.id)).toBe(false);
        expect(yield* links.revoke(org.id, link.id)).toBe(true);
        expect(yield* links.revoke(org.id, link.id)).toBe(false);
        expect(yield* links.get(org.id, link.id)).toBeNull();
        expect(yield* links.lockByCodeHash(org.id, tokens.hash(code))).toBeNull();
        expect(yield* links.list(org.id, { cursor: null, limit: 10 })).toEqual({ items: [], nextCursor: null });
        expect(yield* links.update(org.id, link.id, { disabled: true })).toBeNull();
        expect((yield* InMemory.snapshot).linkInvites).toMatchObject([{ id: link.id, revokedAt: new Date(0) }]);
      }),
    ),
  );

  it.effect("LinkInviteRepository.list pages newest first by keyset, and a cursor outlives the row it points at", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization();
        const other = yield* InMemory.seedOrganization();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push((yield* InMemory.seedLinkInvite(org.id)).link.id);
          if (i % 2 === 0) yield* TestClock.adjust(1);
        }
        yield* InMemory.seedLinkInvite(other.id);
        yield* InMemory.seedLinkInvite(org.id, { revoked: true });
        const links = yield* LinkInviteRepository;
        const newestFirst = [...ids].reverse();
        const first = yield* links.list(org.id, { cursor: null, limit: 2 });
        expect(first.items.map((l) => l.id)).toEqual(newestFirst.slice(0, 2));
        expect(first.nextCursor).not.toBeNull();
        // The row under the cursor disappears between pages: the next page is still right.
        yield* links.revoke(org.id, first.items[1]?.id as string);
        const second = yield* links.list(org.id, { cursor: first.nextCursor, limit: 2 });
        expect(second.items.map((l) => l.id)).toEqual(newestFirst.slice(2, 4));
        const third = yield* links.list(org.id, { cursor: second.nextCursor, limit: 2 });
        expect(third).toEqual({ items: [expect.objectContaining({ id: newestFirst[4] })], nextCursor: null });
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

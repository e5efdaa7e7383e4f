import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import * as InMemory from "../testing/InMemory.ts";
import { organizationKey, rootKey, userPrincipal } from "../testing/Principals.ts";
import { inTestStore, MISSING, refusal } from "../testing/support.ts";
import { bulkTargetsOf, type CreateBulkInviteInput, createBulkInvite, MAX_BULK_TARGETS } from "./Invites.ts";

const world = Effect.gen(function* () {
  const orgA = yield* InMemory.seedOrganization({ name: "A" });
  const orgB = yield* InMemory.seedOrganization({ name: "B" });
  const a1 = yield* InMemory.seedWebsite(orgA.id);
  const a2 = yield* InMemory.seedWebsite(orgA.id);
  const b1 = yield* InMemory.seedWebsite(orgB.id);
  const group = yield* InMemory.seedGroup({ websiteIds: [a1.id, b1.id] });
  return { orgA, orgB, a1, a2, b1, group };
});

const bulk = (extra: Partial<CreateBulkInviteInput>): CreateBulkInviteInput => ({
  method: "direct",
  email: "ann@example.com",
  role: "read",
  ...extra,
});

describe("bulkTargetsOf", () => {
  const fieldsOf = (input: Parameters<typeof bulkTargetsOf>[0]) => {
    const result = bulkTargetsOf(input);
    return result.ok ? null : Object.keys(result.error.fieldErrors).sort();
  };

  it("needs exactly one of websiteIds and groupIds", () => {
    expect(fieldsOf({})).toEqual(["groupIds", "websiteIds"]);
    expect(fieldsOf({ websiteIds: ["w"], groupIds: ["g"] })).toEqual(["groupIds", "websiteIds"]);
  });

  it("takes 1 to 50 distinct ids", () => {
    expect(fieldsOf({ websiteIds: [] })).toEqual(["websiteIds"]);
    const fifty = Array.from({ length: MAX_BULK_TARGETS }, (_, i) => `w${i}`);
    expect(fieldsOf({ websiteIds: fifty })).toBeNull();
    expect(fieldsOf({ websiteIds: [...fifty, "w50"] })).toEqual(["websiteIds"]);
    expect(fieldsOf({ groupIds: ["g", "g"] })).toEqual(["groupIds"]);
  });

  it("names the targets in input order", () => {
    expect(bulkTargetsOf({ groupIds: ["g2", "g1"] })).toEqual({
      ok: true,
      targets: [
        { type: "group", id: "g2" },
        { type: "group", id: "g1" },
      ],
    });
  });
});

describe("createBulkInvite", () => {
  it.effect("direct: one outcome per target in input order; userId given; refusals of some never undo the others", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, a1, a2, b1 } = yield* world;
        const ann = yield* InMemory.seedUser({ email: "ann@example.com" });
        yield* InMemory.seedMembership(ann.id, { type: "website", id: a2.id }, "read");
        const result = yield* createBulkInvite(
          organizationKey(orgA.id),
          bulk({ email: " ANN@example.com", websiteIds: [b1.id, a1.id, MISSING, a2.id], role: "edit" }),
        );
        expect(result).toEqual({
          success: true,
          message: "Bulk invite processed",
          userId: ann.id,
          results: [
            { target: { type: "website", id: b1.id }, status: "not_found", reason: "website_not_found" },
            { target: { type: "website", id: a1.id }, status: "added" },
            { target: { type: "website", id: MISSING }, status: "not_found", reason: "website_not_found" },
            { target: { type: "website", id: a2.id }, status: "already_member", reason: "already_member" },
          ],
        });
        const s = yield* InMemory.snapshot;
        expect(s.memberships.map((m) => [m.target.id, m.role])).toEqual([
          [a2.id, "read"],
          [a1.id, "edit"],
        ]);
        expect(s.deliveries).toEqual([]);
      }),
    ),
  );

  it.effect("email: one consolidated delivery for all invited targets, an inviteId each, and no userId", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, a1, a2, b1 } = yield* world;
        const result = yield* createBulkInvite(
          organizationKey(orgA.id),
          bulk({ method: "email", email: "bob@example.com", websiteIds: [a1.id, b1.id, a2.id] }),
        );
        expect(result).not.toHaveProperty("userId");
        const s = yield* InMemory.snapshot;
        expect(s.users).toEqual([]);
        expect(s.deliveries).toHaveLength(1);
        expect(s.invites).toHaveLength(2);
        expect(new Set(s.invites.map((i) => i.deliveryId))).toEqual(new Set([s.deliveries[0]?.id]));
        expect(result.results).toEqual([
          { target: { type: "website", id: a1.id }, status: "invited", inviteId: s.invites[0]?.id },
          { target: { type: "website", id: b1.id }, status: "not_found", reason: "website_not_found" },
          { target: { type: "website", id: a2.id }, status: "invited", inviteId: s.invites[1]?.id },
        ]);
      }),
    ),
  );

  it.effect("email: answers the same whether or not the account exists", () =>
    Effect.gen(function* () {
      const run = (seedAccount: boolean) =>
        inTestStore(
          Effect.gen(function* () {
            const { a1 } = yield* world;
            if (seedAccount) yield* InMemory.seedUser({ email: "carol@example.com" });
            const result = yield* createBulkInvite(
              rootKey,
              bulk({ method: "email", email: "carol@example.com", websiteIds: [a1.id] }),
            );
            return { ...result, results: result.results.map(({ inviteId: _, ...rest }) => rest) };
          }),
        );
      expect(yield* run(true)).toEqual(yield* run(false));
    }),
  );

  it.effect("email: nothing is queued when every target is refused or already a member", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, a1, b1 } = yield* world;
        const dan = yield* InMemory.seedUser({ email: "dan@example.com" });
        yield* InMemory.seedMembership(dan.id, { type: "website", id: a1.id }, "read");
        const before = yield* InMemory.snapshot;
        const result = yield* createBulkInvite(
          organizationKey(orgA.id),
          bulk({ method: "email", email: "dan@example.com", websiteIds: [a1.id, b1.id] }),
        );
        expect(result.results.map((r) => r.status)).toEqual(["already_member", "not_found"]);
        expect(yield* InMemory.snapshot).toEqual(before);
      }),
    ),
  );

  it.effect("groups need a global key: every group is forbidden, and no account is created", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, group } = yield* world;
        const before = yield* InMemory.snapshot;
        const result = yield* createBulkInvite(organizationKey(orgA.id), bulk({ groupIds: [group.id, MISSING] }));
        expect(result).toEqual({
          success: true,
          message: "Bulk invite processed",
          results: [
            { target: { type: "group", id: group.id }, status: "forbidden", reason: "group_requires_global_key" },
            { target: { type: "group", id: MISSING }, status: "forbidden", reason: "group_requires_global_key" },
          ],
        });
        expect(yield* InMemory.snapshot).toEqual(before);
        const byRoot = yield* createBulkInvite(rootKey, bulk({ groupIds: [group.id, MISSING] }));
        expect(byRoot.results.map((r) => r.status)).toEqual(["added", "not_found"]);
      }),
    ),
  );

  it.effect("a user invites only where admin, per target", () =>
    inTestStore(
      Effect.gen(function* () {
        const { a1, a2, b1 } = yield* world;
        const boss = yield* InMemory.seedUser({ email: "boss@example.com" });
        yield* InMemory.seedMembership(boss.id, { type: "website", id: a1.id }, "admin");
        yield* InMemory.seedMembership(boss.id, { type: "website", id: a2.id }, "edit");
        const result = yield* createBulkInvite(userPrincipal(boss), bulk({ websiteIds: [a1.id, a2.id, b1.id] }));
        expect(result.results.map((r) => [r.status, r.reason])).toEqual([
          ["added", undefined],
          ["forbidden", "insufficient_role"],
          ["not_found", "website_not_found"],
        ]);
      }),
    ),
  );

  it.effect("invalid input writes nothing", () =>
    inTestStore(
      Effect.gen(function* () {
        const { a1 } = yield* world;
        const badEmail = yield* refusal(createBulkInvite(rootKey, bulk({ email: "a@b@c.io", websiteIds: [a1.id] })));
        expect(badEmail).toMatchObject({ _tag: "InvalidInput", fieldErrors: { email: ["Invalid email address"] } });
        const both = yield* refusal(createBulkInvite(rootKey, bulk({ websiteIds: [a1.id], groupIds: [MISSING] })));
        expect(both).toMatchObject({ _tag: "InvalidInput" });
      }),
    ),
  );
});

import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { NotFound } from "../errors/Errors.ts";
import type { Target } from "../targets/Target.ts";
import * as InMemory from "../testing/InMemory.ts";
import { globalKey, organizationKey, rootKey, userPrincipal } from "../testing/Principals.ts";
import { inTestStore, MISSING, refusal } from "../testing/support.ts";
import { removeMember, updateMemberRole } from "./Members.ts";

/** Two tenants; Ann is a reader of site A, Bob edits organization A; Boss is admin of organization A. */
const world = Effect.gen(function* () {
  const orgA = yield* InMemory.seedOrganization({ name: "A" });
  const orgB = yield* InMemory.seedOrganization({ name: "B" });
  const siteA = yield* InMemory.seedWebsite(orgA.id);
  const siteB = yield* InMemory.seedWebsite(orgB.id);
  const group = yield* InMemory.seedGroup({ websiteIds: [siteA.id, siteB.id] });
  const ann = yield* InMemory.seedUser({ email: "ann@example.com" });
  const bob = yield* InMemory.seedUser({ email: "bob@example.com" });
  const boss = yield* InMemory.seedUser({ email: "boss@example.com" });
  const siteT: Target = { type: "website", id: siteA.id };
  const orgT: Target = { type: "organization", id: orgA.id };
  yield* InMemory.seedMembership(ann.id, siteT, "read");
  yield* InMemory.seedMembership(bob.id, orgT, "edit");
  yield* InMemory.seedMembership(boss.id, orgT, "admin");
  return { orgA, orgB, siteA, siteB, group, ann, bob, boss, siteT, orgT, keyA: organizationKey(orgA.id) };
});

const roleIn = (userId: string, target: Target) =>
  Effect.map(
    InMemory.snapshot,
    (s) =>
      s.memberships.find((m) => m.userId === userId && m.target.type === target.type && m.target.id === target.id)
        ?.role,
  );

describe("members.updateRole", () => {
  it.effect("changes the member's role on that target and answers the member", () =>
    inTestStore(
      Effect.gen(function* () {
        const { ann, siteT, keyA } = yield* world;
        const updated = yield* updateMemberRole(keyA, { ...siteT, userId: ann.id, role: "edit" });
        expect(updated).toEqual({
          userId: ann.id,
          email: "ann@example.com",
          role: "edit",
          sso: false,
          createdAt: expect.any(Date),
        });
        expect(yield* roleIn(ann.id, siteT)).toBe("edit");
      }),
    ),
  );

  it.effect("someone who is not a member of that very target is member_not_found", () =>
    inTestStore(
      Effect.gen(function* () {
        const { ann, bob, siteT, orgT, keyA } = yield* world;
        // Bob edits the organization, which does not make him a member of the website.
        for (const [target, userId] of [
          [siteT, bob.id],
          [orgT, ann.id],
          [siteT, MISSING],
        ] as const) {
          const error = yield* refusal(updateMemberRole(keyA, { ...target, userId, role: "admin" }));
          expect(error).toBeInstanceOf(NotFound);
          expect(error).toMatchObject({ reason: "member_not_found" });
        }
      }),
    ),
  );

  it.effect("keys act in their own organization only; groups need a global key", () =>
    inTestStore(
      Effect.gen(function* () {
        const { ann, siteT, siteB, orgB, group, keyA } = yield* world;
        yield* InMemory.seedMembership(ann.id, { type: "website", id: siteB.id }, "read");
        yield* InMemory.seedMembership(ann.id, { type: "group", id: group.id }, "read");
        const foreign = yield* refusal(
          updateMemberRole(keyA, { type: "website", id: siteB.id, userId: ann.id, role: "edit" }),
        );
        const missing = yield* refusal(
          updateMemberRole(keyA, { type: "website", id: MISSING, userId: ann.id, role: "edit" }),
        );
        expect(foreign).toEqual(missing);
        expect(foreign).toMatchObject({ _tag: "NotFound", reason: "website_not_found" });
        expect(
          yield* refusal(updateMemberRole(keyA, { type: "organization", id: orgB.id, userId: ann.id, role: "edit" })),
        ).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
        expect(
          yield* refusal(updateMemberRole(keyA, { type: "group", id: group.id, userId: ann.id, role: "edit" })),
        ).toMatchObject({ _tag: "Forbidden", reason: "group_requires_global_key" });

        yield* updateMemberRole(globalKey(), { type: "group", id: group.id, userId: ann.id, role: "edit" });
        yield* updateMemberRole(rootKey, { type: "website", id: siteB.id, userId: ann.id, role: "comment" });
        expect(yield* roleIn(ann.id, { type: "group", id: group.id })).toBe("edit");
        expect(yield* roleIn(ann.id, { type: "website", id: siteB.id })).toBe("comment");
        expect(yield* roleIn(ann.id, siteT)).toBe("read");
      }),
    ),
  );

  it.effect("a user must be admin there: an organization admin manages its websites, an editor nothing", () =>
    inTestStore(
      Effect.gen(function* () {
        const { ann, bob, boss, siteT, orgT, siteB } = yield* world;
        const editor = userPrincipal(bob);
        expect(yield* refusal(updateMemberRole(editor, { ...siteT, userId: ann.id, role: "read" }))).toMatchObject({
          _tag: "Forbidden",
          reason: "insufficient_role",
        });
        expect(yield* refusal(updateMemberRole(editor, { ...orgT, userId: bob.id, role: "admin" }))).toMatchObject({
          _tag: "Forbidden",
          reason: "insufficient_role",
        });
        const admin = userPrincipal(boss);
        expect(
          yield* refusal(updateMemberRole(admin, { type: "website", id: siteB.id, userId: ann.id, role: "read" })),
        ).toMatchObject({ _tag: "NotFound", reason: "website_not_found" });
        yield* updateMemberRole(admin, { ...siteT, userId: ann.id, role: "admin" });
        yield* updateMemberRole(admin, { ...orgT, userId: bob.id, role: "admin" });
        expect(yield* roleIn(ann.id, siteT)).toBe("admin");
        expect(yield* roleIn(bob.id, orgT)).toBe("admin");
      }),
    ),
  );
});

describe("members.remove", () => {
  it.effect("removes the membership of that target only; removing again is member_not_found", () =>
    inTestStore(
      Effect.gen(function* () {
        const { ann, siteT, orgT, keyA } = yield* world;
        yield* InMemory.seedMembership(ann.id, orgT, "read");
        expect(yield* removeMember(keyA, { ...siteT, userId: ann.id })).toEqual({ success: true });
        expect(yield* roleIn(ann.id, siteT)).toBeUndefined();
        expect(yield* roleIn(ann.id, orgT)).toBe("read");
        expect(yield* refusal(removeMember(keyA, { ...siteT, userId: ann.id }))).toMatchObject({
          _tag: "NotFound",
          reason: "member_not_found",
        });
      }),
    ),
  );

  it.effect("follows the same access rules as inviting", () =>
    inTestStore(
      Effect.gen(function* () {
        const { ann, bob, boss, siteT, orgT, orgB, group } = yield* world;
        yield* InMemory.seedMembership(ann.id, { type: "group", id: group.id }, "read");
        const keyB = organizationKey(orgB.id);
        expect(yield* refusal(removeMember(keyB, { ...siteT, userId: ann.id }))).toMatchObject({
          _tag: "NotFound",
          reason: "website_not_found",
        });
        expect(yield* refusal(removeMember(keyB, { type: "group", id: group.id, userId: ann.id }))).toMatchObject({
          _tag: "Forbidden",
          reason: "group_requires_global_key",
        });
        expect(yield* refusal(removeMember(userPrincipal(bob), { ...siteT, userId: ann.id }))).toMatchObject({
          _tag: "Forbidden",
          reason: "insufficient_role",
        });
        expect(yield* refusal(removeMember(userPrincipal(ann), { ...orgT, userId: bob.id }))).toMatchObject({
          _tag: "NotFound",
          reason: "organization_not_found",
        });
        yield* removeMember(userPrincipal(boss), { ...orgT, userId: bob.id });
        yield* removeMember(globalKey(), { type: "group", id: group.id, userId: ann.id });
        const left = (yield* InMemory.snapshot).memberships.map((m) => [m.userId, m.target.type]);
        expect(left).toEqual([
          [ann.id, "website"],
          [boss.id, "organization"],
        ]);
      }),
    ),
  );
});

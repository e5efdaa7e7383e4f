import { Effect } from "effect";
import { expect } from "vitest";
import { MembershipRepository } from "../../members/MembershipRepository.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import type { Target } from "../../targets/Target.ts";
import { TenancyRepository } from "../../tenancy/TenancyRepository.ts";
import { UserRepository } from "../../users/UserRepository.ts";
import { contract, freshEmail, inTurn } from "./harness.ts";

const world = Effect.gen(function* () {
  const ids = yield* IdGenerator;
  const tenancy = yield* TenancyRepository;
  const org = yield* tenancy.createOrganization({ id: yield* ids.next, name: "Acme" });
  const site = yield* tenancy.createWebsite({ id: yield* ids.next, organizationId: org.id, name: "Shop", url: null });
  const group = yield* tenancy.createGroup({ id: yield* ids.next, name: "G" });
  const organization: Target = { type: "organization", id: org.id };
  const website: Target = { type: "website", id: site.id };
  const groupTarget: Target = { type: "group", id: group.id };
  return { org, site, organization, website, groupTarget };
});

const user = (label: string) =>
  Effect.gen(function* () {
    const email = freshEmail(label);
    const { id } = yield* (yield* UserRepository).findOrCreate({ email, firstName: null, lastName: null });
    return { id, email };
  });

/** Memberships: one per user and target, stored roles only (no inheritance), members newest first. */
export const membershipRepositoryContract = contract("MembershipRepository", (it) => {
  it("adds a membership once per user and target, and answers only the ones it added", function* () {
    const { organization, website, groupTarget } = yield* world;
    const members = yield* MembershipRepository;
    const ann = yield* user("ann");
    expect(yield* members.addMany(ann.id, [organization], "admin", false)).toEqual([organization]);
    // Its own role only: a website's role through its organization is the domain's rule.
    expect(yield* members.roleOf(website, ann.id)).toBeNull();
    const again = yield* members.addMany(ann.id, [organization, website, website], "read", false);
    expect(again).toEqual([website]);
    expect(yield* members.roleOf(organization, ann.id)).toBe("admin");
    expect(yield* members.roleOf(website, ann.id)).toBe("read");
    expect(yield* members.memberTargetsByEmail(ann.email, [website, groupTarget])).toEqual([website]);
    expect(yield* members.memberTargetsByEmail(freshEmail("nobody"), [website])).toEqual([]);
  });

  it("adds many users to one target, answering those it added; a user's first entry wins", function* () {
    const { organization } = yield* world;
    const other = yield* world;
    const members = yield* MembershipRepository;
    const [ann, bob, cat] = [yield* user("ann"), yield* user("bob"), yield* user("cat")];
    yield* members.addMany(ann.id, [organization], "admin", false);
    const added = yield* members.addUsers(organization, [
      { userId: ann.id, role: "read", sso: false },
      { userId: bob.id, role: "edit", sso: true },
      { userId: cat.id, role: "read", sso: false },
      { userId: bob.id, role: "admin", sso: false },
    ]);
    expect([...added].sort()).toEqual([bob.id, cat.id].sort());
    const listed = (yield* members.list(organization, { cursor: null, limit: 10 })).items;
    expect(listed.map((m) => [m.email, m.role, m.sso]).sort()).toEqual(
      [
        [ann.email, "admin", false],
        [bob.email, "edit", true],
        [cat.email, "read", false],
      ].sort(),
    );

    // A missing user fails the whole call: nothing of it is written.
    const broken = yield* Effect.flip(
      members.addUsers(other.organization, [
        { userId: cat.id, role: "read", sso: false },
        { userId: yield* (yield* IdGenerator).next, role: "read", sso: false },
      ]),
    );
    expect(broken._tag).toBe("RepositoryError");
    expect(yield* members.roleOf(other.organization, cat.id)).toBeNull();
  });

  it("tells which users are members of an organization other than the one given", function* () {
    const { org, organization } = yield* world;
    const other = yield* world;
    const members = yield* MembershipRepository;
    const [ann, bob, cat] = [yield* user("ann"), yield* user("bob"), yield* user("cat")];
    yield* members.addUsers(organization, [
      { userId: ann.id, role: "admin", sso: false },
      { userId: bob.id, role: "read", sso: false },
      { userId: cat.id, role: "read", sso: false },
    ]);
    yield* members.addMany(bob.id, [other.organization], "read", false);
    // Only organization memberships count, and not the one in `organizationId` itself.
    yield* members.addMany(cat.id, [other.website], "read", false);
    expect(yield* members.inOtherOrganizations([ann.id, bob.id, cat.id, bob.id], org.id)).toEqual([bob.id]);
    const inOther = yield* members.inOtherOrganizations([ann.id, bob.id], other.org.id);
    expect([...inOther].sort()).toEqual([ann.id, bob.id].sort());
    expect(yield* members.inOtherOrganizations([], org.id)).toEqual([]);
  });

  it("answers the roles held on the targets asked for, as stored, without inheriting", function* () {
    const { organization, website } = yield* world;
    const other = yield* world;
    const members = yield* MembershipRepository;
    const bob = yield* user("bob");
    yield* members.addMany(bob.id, [organization], "admin", false);
    yield* members.addMany(bob.id, [other.website], "comment", false);
    const held = yield* members.rolesOn(bob.id, [organization, website, other.website, other.organization]);
    expect([...held].sort((a, b) => a.role.localeCompare(b.role))).toEqual([
      { target: organization, role: "admin" },
      { target: other.website, role: "comment" },
    ]);
  });

  it("lists a target's members newest first, page by page, and updates and removes them", function* () {
    const { website } = yield* world;
    const members = yield* MembershipRepository;
    const made = yield* inTurn(["a", "b", "c"], (label) =>
      Effect.tap(user(label), (u) => members.addUsers(website, [{ userId: u.id, role: "read", sso: false }])),
    );
    const emails = made.map((u) => u.email);
    const ids = made.map((u) => u.id);
    const first = yield* members.list(website, { cursor: null, limit: 2 });
    expect(first.items.map((m) => m.email)).toEqual([emails[2], emails[1]]);
    const second = yield* members.list(website, { cursor: first.nextCursor, limit: 2 });
    expect(second).toMatchObject({ items: [{ email: emails[0] }], nextCursor: null });

    const updated = yield* members.updateRole(website, ids[0] as string, "edit");
    expect(updated).toMatchObject({ userId: ids[0], email: emails[0], role: "edit", sso: false });
    expect(yield* members.remove(website, ids[0] as string)).toMatchObject({
      userId: ids[0],
      email: emails[0],
      role: "edit",
      sso: false,
    });
    expect(yield* members.remove(website, ids[0] as string)).toBeNull();
    expect(yield* members.updateRole(website, ids[0] as string, "edit")).toBeNull();
    expect(yield* members.roleOf(website, ids[0] as string)).toBeNull();
  });
});

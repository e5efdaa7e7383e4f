import { Effect } from "effect";
import { expect } from "vitest";
import { memberEvent } from "../../events/Event.ts";
import { EventLog } from "../../events/EventLog.ts";
import { type DirectInvitePlan, DirectInviteStore } from "../../invites/DirectInviteStore.ts";
import { MembershipRepository } from "../../members/MembershipRepository.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import type { ResolvedTarget } from "../../targets/Target.ts";
import { UserRepository } from "../../users/UserRepository.ts";
import { world } from "./fixtures.ts";
import { contract, freshEmail } from "./harness.ts";

const plan = (
  user: DirectInvitePlan["user"],
  targets: ReadonlyArray<ResolvedTarget>,
  requireGrant = false,
): DirectInvitePlan => ({
  user,
  role: "edit",
  grants: targets.map((target) => ({
    target,
    event: memberEvent("member.added", { kind: "root", id: null }, { userId: user.id, target, role: "edit" }),
  })),
  requireGrant,
});

const eventsOf = (organizationId: string) =>
  Effect.gen(function* () {
    const page = yield* (yield* EventLog).list({ organizationId }, { cursor: null, limit: 50 });
    return page.items.map((e) => `${e.type} ${e.subject.id} ${(e.data.target as { id: string }).id}`);
  });

/** Direct invites: one read of what the rules need, one write that applies a plan whole or not at all. */
export const directInviteStoreContract = contract("DirectInviteStore", (it) => {
  it("reads the targets that exist, the role holder's memberships on them and their organizations, and the invitee", function* () {
    const { organization, website } = yield* world;
    const store = yield* DirectInviteStore;
    const users = yield* UserRepository;
    const members = yield* MembershipRepository;
    const ids = yield* IdGenerator;
    const missing = { type: "website" as const, id: yield* ids.next };
    const admin = yield* users.findOrCreate({ email: freshEmail("admin"), firstName: null, lastName: null });
    yield* members.addMany(admin.id, [organization], "admin", false);
    const email = freshEmail("ann");
    const empty = yield* store.read({ email, targets: [website, missing], roleHolder: admin.id });
    expect(empty).toEqual({
      resolved: [website],
      holderRoles: [{ target: { type: "organization", id: organization.id }, role: "admin" }],
      invitee: null,
      memberOf: [],
    });
    const ann = yield* users.findOrCreate({ email, firstName: null, lastName: null });
    yield* members.addMany(ann.id, [website], "read", false);
    const found = yield* store.read({ email, targets: [organization, website], roleHolder: null });
    expect([...found.resolved].sort((a, b) => a.type.localeCompare(b.type))).toEqual([organization, website]);
    expect(found.holderRoles).toEqual([]);
    expect(found.invitee).toEqual({ id: ann.id });
    expect(found.memberOf).toEqual([{ type: "website", id: website.id }]);
  });

  it("creates a new user with its memberships, recording an event for each membership added", function* () {
    const { org, organization, website } = yield* world;
    const store = yield* DirectInviteStore;
    const id = yield* (yield* IdGenerator).next;
    const email = freshEmail("new");
    const user = { id, email, firstName: "Ann", lastName: null, existing: false };
    const written = yield* store.write(plan(user, [organization, website]));
    expect(written._tag).toBe("Written");
    if (written._tag === "Written") expect(written.added).toHaveLength(2);
    expect(yield* (yield* UserRepository).get(id)).toEqual({
      id,
      email,
      firstName: "Ann",
      lastName: null,
      emailVerified: false,
    });
    expect((yield* eventsOf(org.id)).sort()).toEqual(
      [`member.added ${id} ${organization.id}`, `member.added ${id} ${website.id}`].sort(),
    );
  });

  it("writes nothing when the new user it planned exists by now", function* () {
    const { org, organization } = yield* world;
    const store = yield* DirectInviteStore;
    const email = freshEmail("taken");
    const existing = yield* (yield* UserRepository).findOrCreate({ email, firstName: null, lastName: null });
    const id = yield* (yield* IdGenerator).next;
    const written = yield* store.write(
      plan({ id, email, firstName: "Other", lastName: "Name", existing: false }, [organization]),
    );
    expect(written).toEqual({ _tag: "Stale" });
    expect(yield* (yield* UserRepository).get(id)).toBeNull();
    expect(yield* (yield* UserRepository).get(existing.id)).toMatchObject({ firstName: null, lastName: null });
    expect(yield* (yield* MembershipRepository).roleOf(organization, existing.id)).toBeNull();
    expect(yield* eventsOf(org.id)).toEqual([]);
  });

  it("adds an existing user where not a member yet and fills in missing names; with requireGrant, only if it adds one", function* () {
    const { org, organization, website } = yield* world;
    const store = yield* DirectInviteStore;
    const users = yield* UserRepository;
    const members = yield* MembershipRepository;
    const email = freshEmail("old");
    const { id } = yield* users.findOrCreate({ email, firstName: null, lastName: "Lee" });
    yield* members.addMany(id, [website], "read", false);
    const user = { id, email, firstName: "Ann", lastName: "Other", existing: true };
    expect(yield* store.write(plan(user, [website], true))).toEqual({ _tag: "Stale" });
    expect(yield* users.get(id)).toMatchObject({ firstName: null, lastName: "Lee" });
    const written = yield* store.write(plan(user, [organization, website]));
    expect(written).toEqual({ _tag: "Written", added: [{ type: "organization", id: organization.id }] });
    expect(yield* users.get(id)).toMatchObject({ firstName: "Ann", lastName: "Lee" });
    expect(yield* members.roleOf(website, id)).toBe("read");
    expect(yield* members.roleOf(organization, id)).toBe("edit");
    expect(yield* eventsOf(org.id)).toEqual([`member.added ${id} ${organization.id}`]);
  });
});

import { Effect } from "effect";
import { expect } from "vitest";
import { inviteEvent, memberEvent } from "../../events/Event.ts";
import { EventLog } from "../../events/EventLog.ts";
import { type AnswerPlan, type AnswerState, InviteAnswerStore } from "../../invites/InviteAnswerStore.ts";
import { MembershipRepository } from "../../members/MembershipRepository.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { TokenGenerator } from "../../shared/TokenGenerator.ts";
import { UserRepository } from "../../users/UserRepository.ts";
import * as fixtures from "./fixtures.ts";
import { contract, freshEmail } from "./harness.ts";

/** The fixtures' world, and pending invites of a fresh email to its organization and website behind one token. */
const world = Effect.gen(function* () {
  const targets = yield* fixtures.world;
  const email = freshEmail("invitee");
  const expiresAt = new Date(Date.now() + 86_400_000);
  const { delivery, ids } = yield* fixtures.inviteByEmail(email, [targets.organization, targets.website], {
    role: "edit",
    expiresAt,
  });
  const invites = ids.map((id) => ({ id, expiresAt }));
  return { ...targets, email, deliveryId: delivery.id, tokenHash: delivery.hash, invites };
});

/** Accepts every invite read, as the user given. */
const acceptAll = (state: AnswerState, user: NonNullable<AnswerPlan["user"]>): AnswerPlan => {
  const invitee = { kind: "invitee", id: user.id } as const;
  return {
    user,
    answers: state.invites.map((i) => ({ id: i.id, version: i.version, status: "accepted" })),
    grants: state.invites.map((i) => ({ target: i.target, role: i.role })),
    events: [
      ...state.invites.map((i) => ({ event: inviteEvent("invite.accepted", invitee, i, { userId: user.id }) })),
      ...state.invites.map((i) => ({
        event: memberEvent("member.added", invitee, { userId: user.id, target: i.target, role: i.role }),
        whenAdded: i.target,
      })),
    ],
  };
};

const eventsOf = (organizationId: string) =>
  Effect.gen(function* () {
    const page = yield* (yield* EventLog).list({ organizationId }, { cursor: null, limit: 50 });
    return page.items.map((e) => e.type).sort();
  });

/** Accepting: one read of what the rules need, one write that applies only to invites still as read. */
export const inviteAnswerStoreContract = contract("InviteAnswerStore", (it) => {
  it("reads a token's invites with the recipient and the organizations; nothing for an unknown token", function* () {
    const { org, organization, website, email, tokenHash, invites } = yield* world;
    const store = yield* InviteAnswerStore;
    expect(yield* store.read((yield* TokenGenerator).hash("inv_unknown"))).toBeNull();
    const state = yield* store.read(tokenHash);
    expect(state).toMatchObject({
      email,
      user: null,
      recipientRoles: [],
      grantors: { keys: [], userRoles: [] },
      organizations: [{ id: org.id, appUrl: null }],
    });
    expect(state?.invites.map(({ version: _, ...i }) => i)).toEqual(
      [organization, website].map((target, n) => ({
        id: invites[n]?.id,
        email,
        target,
        role: "edit",
        status: "pending",
        expiresAt: invites[n]?.expiresAt,
        redirectUrl: null,
        inviter: { kind: "root", id: null },
      })),
    );
  });

  it("accepts as a new verified user, with memberships and events; a second write of the plan writes nothing", function* () {
    const { org, organization, website, email, tokenHash } = yield* world;
    const store = yield* InviteAnswerStore;
    const state = (yield* store.read(tokenHash)) as AnswerState;
    const id = yield* (yield* IdGenerator).next;
    const plan = acceptAll(state, { id, email, firstName: "Ann", lastName: null, existing: false });
    expect(yield* store.write(plan)).toBe(true);
    expect(yield* (yield* UserRepository).get(id)).toMatchObject({
      email,
      firstName: "Ann",
      emailVerified: true,
    });
    const members = yield* MembershipRepository;
    expect(yield* members.roleOf(organization, id)).toBe("edit");
    expect(yield* members.roleOf(website, id)).toBe("edit");
    const after = (yield* store.read(tokenHash)) as AnswerState;
    expect(after.invites.map((i) => i.status)).toEqual(["accepted", "accepted"]);
    expect(after.user).toEqual({ id });
    expect(yield* store.write(plan)).toBe(false);
    expect(yield* eventsOf(org.id)).toEqual(["invite.accepted", "invite.accepted", "member.added", "member.added"]);
  });

  it("writes nothing when an invite changed since it was read, or when the new user exists by now", function* () {
    const { org, website, email, deliveryId, tokenHash, invites } = yield* world;
    const store = yield* InviteAnswerStore;
    const state = (yield* store.read(tokenHash)) as AnswerState;
    const id = yield* (yield* IdGenerator).next;
    const plan = acceptAll(state, { id, email, firstName: null, lastName: null, existing: false });
    // Replaced in place (new role and expiry), still pending and still behind the token.
    yield* fixtures.invitesOn(deliveryId, email, [website], { role: "read", expiresAt: invites[1]?.expiresAt });
    expect(yield* store.write(plan)).toBe(false);
    const fresh = (yield* store.read(tokenHash)) as AnswerState;
    yield* (yield* UserRepository).findOrCreate({ email, firstName: null, lastName: null });
    expect(yield* store.write(acceptAll(fresh, { ...(plan.user as NonNullable<AnswerPlan["user"]>) }))).toBe(false);
    expect(yield* (yield* UserRepository).get(id)).toBeNull();
    expect(((yield* store.read(tokenHash)) as AnswerState).invites.map((i) => i.status)).toEqual([
      "pending",
      "pending",
    ]);
    expect(yield* eventsOf(org.id)).toEqual([]);
  });

  it("declines without touching any account; a second write of the plan writes nothing", function* () {
    const { org, tokenHash } = yield* world;
    const store = yield* InviteAnswerStore;
    const state = (yield* store.read(tokenHash)) as AnswerState;
    const plan: AnswerPlan = {
      user: null,
      answers: state.invites.map((i) => ({ id: i.id, version: i.version, status: "declined" })),
      grants: [],
      events: state.invites.map((i) => ({
        event: inviteEvent("invite.declined", { kind: "invitee", id: null }, i),
      })),
    };
    expect(yield* store.write(plan)).toBe(true);
    const after = (yield* store.read(tokenHash)) as AnswerState;
    expect(after.invites.map((i) => i.status)).toEqual(["declined", "declined"]);
    expect(after.user).toBeNull();
    expect(yield* store.write(plan)).toBe(false);
    expect(yield* eventsOf(org.id)).toEqual(["invite.declined", "invite.declined"]);
  });

  it("marks an existing user verified; a membership it already has records no member.added", function* () {
    const { org, organization, email, tokenHash } = yield* world;
    const store = yield* InviteAnswerStore;
    const users = yield* UserRepository;
    const { id } = yield* users.findOrCreate({ email, firstName: null, lastName: "Lee" });
    yield* (yield* MembershipRepository).addMany(id, [organization], "admin", false);
    const state = (yield* store.read(tokenHash)) as AnswerState;
    expect(state.user).toEqual({ id });
    // Its memberships on the invites' targets, and only those (the website has none).
    expect(state.recipientRoles).toEqual([{ target: { type: organization.type, id: organization.id }, role: "admin" }]);
    expect(yield* store.write(acceptAll(state, { id, email, firstName: "Ann", lastName: "X", existing: true }))).toBe(
      true,
    );
    expect(yield* users.get(id)).toMatchObject({ firstName: "Ann", lastName: "Lee", emailVerified: true });
    expect(yield* (yield* MembershipRepository).roleOf(organization, id)).toBe("admin");
    expect(yield* eventsOf(org.id)).toEqual(["invite.accepted", "invite.accepted", "member.added"]);
  });
});

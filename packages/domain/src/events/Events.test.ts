import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { TestClock } from "effect/testing";
import { expireInvites } from "../invites/InviteExpiry.ts";
import { acceptInvite, declineInvite, resendInvite, revokeInvite } from "../invites/InviteLifecycle.ts";
import { createBulkInvite, createInvite } from "../invites/Invites.ts";
import { createLinkInvite, joinLinkInvite, revokeLinkInvite, updateLinkInvite } from "../links/LinkInvites.ts";
import { removeMember, updateMemberRole } from "../members/Members.ts";
import { updateOrganization } from "../organizations/OrganizationSettings.ts";
import { inviteUsers } from "../organizations/Organizations.ts";
import { createApiKey, revokeApiKey } from "../tenancy/Tenancy.ts";
import * as InMemory from "../testing/InMemory.ts";
import { globalKey, organizationKey, rootKey, userPrincipal } from "../testing/Principals.ts";
import { eventsSince, inTestStore, MISSING, refusal, seedMember } from "../testing/support.ts";
import { listAudit } from "./Events.ts";

const world = Effect.gen(function* () {
  const orgA = yield* InMemory.seedOrganization({ name: "A" });
  const orgB = yield* InMemory.seedOrganization({ name: "B" });
  const siteA = yield* InMemory.seedWebsite(orgA.id);
  const siteB = yield* InMemory.seedWebsite(orgB.id);
  // Real key rows, so that what their holders granted is still honoured when used.
  const a = yield* InMemory.seedApiKey({ kind: "organization", organizationId: orgA.id });
  const b = yield* InMemory.seedApiKey({ kind: "organization", organizationId: orgB.id });
  return {
    orgA,
    orgB,
    siteA,
    siteB,
    keyA: organizationKey(orgA.id, a.key.id),
    keyB: organizationKey(orgB.id, b.key.id),
  };
});

/** Runs `self` and answers what it recorded, as `type organization subject` lines, plus the records. */
const recorded = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const before = yield* InMemory.snapshot;
    const result = yield* self;
    const events = yield* eventsSince(before);
    return { result, events, lines: events.map((e) => `${e.type} ${e.subject.type}:${e.subject.id}`) };
  });

describe("events: each change records exactly its events in its transaction", () => {
  it.effect("invites.create by email: invite.created with email, target and role; direct: member.added", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, keyA } = yield* world;
        const keyId = keyA.kind === "organization" ? keyA.apiKeyId : "";
        const email = yield* recorded(
          createInvite(keyA, { type: "organization", method: "email", email: "Ann@X.io", role: "edit" }),
        );
        const inviteId = (email.result as { inviteId: string }).inviteId;
        expect(email.lines).toEqual([`invite.created invite:${inviteId}`]);
        expect(email.events[0]).toMatchObject({
          organizationId: orgA.id,
          actor: { kind: "api_key", id: keyId },
          data: { inviteId, email: "ann@x.io", target: { type: "organization", id: orgA.id }, role: "edit" },
        });
        expect(JSON.stringify(email.events)).not.toContain("inv_");
        const direct = yield* recorded(
          createInvite(keyA, { type: "organization", method: "direct", email: "bo@x.io", role: "read" }),
        );
        const userId = (direct.result as { userId: string }).userId;
        expect(direct.lines).toEqual([`member.added user:${userId}`]);
        expect(direct.events[0]?.data).toMatchObject({ userId, email: "bo@x.io", role: "read" });
      }),
    ),
  );

  it.effect("invites.createBulk: one event per target that changed, none for the refused ones", () =>
    inTestStore(
      Effect.gen(function* () {
        const { siteA, siteB, keyA } = yield* world;
        const bulk = yield* recorded(
          createBulkInvite(keyA, {
            method: "email",
            email: "ann@x.io",
            role: "read",
            websiteIds: [siteA.id, siteB.id],
          }),
        );
        expect(bulk.result.results.map((r) => r.status)).toEqual(["invited", "not_found"]);
        expect(bulk.lines).toEqual([`invite.created invite:${bulk.result.results[0]?.inviteId}`]);
        const direct = yield* recorded(
          createBulkInvite(rootKey, {
            method: "direct",
            email: "bo@x.io",
            role: "read",
            websiteIds: [siteA.id, siteB.id],
          }),
        );
        expect(direct.events.map((e) => [e.type, e.organizationId])).toEqual([
          ["member.added", siteA.organizationId],
          ["member.added", siteB.organizationId],
        ]);
        expect(direct.events[0]?.actor).toEqual({ kind: "root", id: null });
      }),
    ),
  );

  it.effect("revoke (once), resend, decline and accept record theirs; the invitee is the actor of answers", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, siteA, keyA } = yield* world;
        const create = (email: string) =>
          Effect.map(
            createInvite(keyA, { type: "website", method: "email", email, websiteId: siteA.id, role: "read" }),
            (r) => (r as { inviteId: string }).inviteId,
          );
        const one = yield* create("one@x.io");
        const revoked = yield* recorded(revokeInvite(keyA, { inviteId: one }));
        expect(revoked.lines).toEqual([`invite.revoked invite:${one}`]);
        expect((yield* recorded(revokeInvite(keyA, { inviteId: one }))).lines).toEqual([]);

        const two = yield* create("two@x.io");
        const resent = yield* recorded(resendInvite(keyA, { inviteId: two }));
        expect(resent.lines).toEqual([`invite.resent invite:${two}`]);
        // The token of the resend is the latest one generated.
        const s = yield* InMemory.snapshot;
        const resendToken = s.deliveries.at(-1)?.token as string;
        const declined = yield* recorded(declineInvite({ token: resendToken }));
        expect(declined.lines).toEqual([`invite.declined invite:${two}`]);
        expect(declined.events[0]?.actor).toEqual({ kind: "invitee", id: null });

        const three = yield* create("three@x.io");
        const token = (yield* InMemory.snapshot).deliveries.at(-1)?.token as string;
        const accepted = yield* recorded(acceptInvite({ token }));
        const userId = accepted.result.userId;
        expect(accepted.lines).toEqual([`invite.accepted invite:${three}`, `member.added user:${userId}`]);
        expect(accepted.events.every((e) => e.organizationId === orgA.id)).toBe(true);
        expect(accepted.events[0]?.actor).toEqual({ kind: "invitee", id: userId });
      }),
    ),
  );

  it.effect("members.updateRole and members.remove record role_changed (with the previous role) and removed", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, keyA } = yield* world;
        const target = { type: "organization" as const, id: orgA.id };
        const ann = yield* seedMember("ann@x.io", "read", target);
        const changed = yield* recorded(updateMemberRole(keyA, { ...target, userId: ann.id, role: "edit" }));
        expect(changed.lines).toEqual([`member.role_changed user:${ann.id}`]);
        expect(changed.events[0]?.data).toMatchObject({ role: "edit", previousRole: "read" });
        expect((yield* recorded(updateMemberRole(keyA, { ...target, userId: ann.id, role: "edit" }))).lines).toEqual(
          [],
        );
        const removed = yield* recorded(removeMember(keyA, { ...target, userId: ann.id }));
        expect(removed.lines).toEqual([`member.removed user:${ann.id}`]);
        expect(removed.events[0]?.data).toMatchObject({ role: "edit", email: "ann@x.io" });
      }),
    ),
  );

  it.effect("organizations.inviteUsers: member.added for each user added, none for existing members", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, keyA } = yield* world;
        yield* seedMember("ann@x.io", "read", { type: "organization", id: orgA.id });
        const out = yield* recorded(
          inviteUsers(keyA, { organizationId: orgA.id, emails: ["ann@x.io", "bo@x.io"], role: "read", sso: false }),
        );
        expect(out.events.map((e) => [e.type, e.data.email])).toEqual([["member.added", "bo@x.io"]]);
      }),
    ),
  );

  it.effect("link invites: created, updated, joined (plus member.added), revoked; never the join code", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, keyA } = yield* world;
        const created = yield* recorded(createLinkInvite(keyA, { organizationId: orgA.id, role: "read", sso: false }));
        const linkId = created.result.link.id;
        expect(created.lines).toEqual([`link_invite.created link_invite:${linkId}`]);
        expect(JSON.stringify(created.events)).not.toContain(created.result.code);
        const updated = yield* recorded(
          updateLinkInvite(keyA, { organizationId: orgA.id, inviteId: linkId, maxUses: 5 }),
        );
        expect(updated.lines).toEqual([`link_invite.updated link_invite:${linkId}`]);
        expect(updated.events[0]?.data).toMatchObject({ maxUses: 5 });
        const ann = yield* InMemory.seedUser({ email: "ann@x.io" });
        const joined = yield* recorded(
          joinLinkInvite(userPrincipal(ann), { organizationId: orgA.id, inviteId: created.result.code }),
        );
        expect(joined.lines).toEqual([`link_invite.joined link_invite:${linkId}`, `member.added user:${ann.id}`]);
        expect(joined.events[0]?.actor).toEqual({ kind: "user", id: ann.id });
        const revoked = yield* recorded(revokeLinkInvite(keyA, { organizationId: orgA.id, inviteId: linkId }));
        expect(revoked.lines).toEqual([`link_invite.revoked link_invite:${linkId}`]);
      }),
    ),
  );

  it.effect("api keys: created (never the secret) and revoked once", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, keyA } = yield* world;
        const created = yield* recorded(createApiKey(keyA, { kind: "organization", name: "ci" }));
        expect(created.lines).toEqual([`api_key.created api_key:${created.result.id}`]);
        expect(created.events[0]).toMatchObject({
          organizationId: orgA.id,
          data: { kind: "organization", name: "ci" },
        });
        expect(JSON.stringify(created.events)).not.toContain(created.result.secret);
        const revoked = yield* recorded(revokeApiKey(keyA, { apiKeyId: created.result.id }));
        expect(revoked.lines).toEqual([`api_key.revoked api_key:${created.result.id}`]);
        expect((yield* recorded(revokeApiKey(keyA, { apiKeyId: created.result.id }))).lines).toEqual([]);
      }),
    ),
  );

  it.effect(
    "organizations.update: organization.updated with the settings it set; a failed log keeps the old ones",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const { orgA, keyA } = yield* world;
          const keyId = keyA.kind === "organization" ? keyA.apiKeyId : "";
          const updated = yield* recorded(
            updateOrganization(keyA, { organizationId: orgA.id, displayName: "Acme", primaryColor: "#0F766E" }),
          );
          expect(updated.lines).toEqual([`organization.updated organization:${orgA.id}`]);
          expect(updated.events[0]).toMatchObject({
            organizationId: orgA.id,
            actor: { kind: "api_key", id: keyId },
            data: { organizationId: orgA.id, changes: { displayName: "Acme", primaryColor: "#0f766e" } },
          });
          yield* InMemory.failOn("EventLog.append");
          yield* refusal(updateOrganization(keyA, { organizationId: orgA.id, displayName: "Other" }));
          yield* InMemory.clearFaults;
          const after = yield* recorded(updateOrganization(keyA, { organizationId: orgA.id, locale: "de" }));
          expect(after.result).toMatchObject({ displayName: "Acme", locale: "de" });
        }),
      ),
  );

  it.effect("invite.expired is recorded once per invite, by the system, after its expiry", () =>
    inTestStore(
      Effect.gen(function* () {
        const { keyA, orgA } = yield* world;
        const created = yield* createInvite(keyA, {
          type: "organization",
          method: "email",
          email: "a@x.io",
          role: "read",
        });
        const inviteId = (created as { inviteId: string }).inviteId;
        expect(yield* expireInvites()).toBe(0);
        yield* TestClock.adjust("8 days");
        const first = yield* recorded(expireInvites());
        expect(first.result).toBe(1);
        expect(first.lines).toEqual([`invite.expired invite:${inviteId}`]);
        expect(first.events[0]).toMatchObject({ actor: { kind: "system", id: null }, organizationId: orgA.id });
        expect((yield* recorded(expireInvites())).lines).toEqual([]);
      }),
    ),
  );

  it.effect("a refused request records no event", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, siteB, keyA } = yield* world;
        yield* refusal(
          createInvite(keyA, { type: "website", method: "email", email: "a@x.io", websiteId: siteB.id, role: "read" }),
        );
        yield* refusal(
          createInvite(keyA, { type: "organization", method: "email", email: "not an email", role: "read" }),
        );
        yield* refusal(createLinkInvite(keyA, { organizationId: orgB.id, role: "read", sso: false }));
        yield* refusal(updateOrganization(keyA, { organizationId: orgB.id, displayName: "Mine" }));
        yield* refusal(updateOrganization(keyA, { organizationId: orgA.id, primaryColor: "teal" }));
        yield* refusal(revokeApiKey(keyA, { apiKeyId: MISSING }));
        yield* refusal(removeMember(keyA, { type: "organization", id: orgB.id, userId: MISSING }));
        // A failure after the change was written rolls both back: the change and its event (an email
        // invite writes both in one write).
        yield* InMemory.failOn("EventLog.append", "EmailInviteStore.write");
        yield* refusal(createInvite(keyA, { type: "organization", method: "email", email: "a@x.io", role: "read" }));
        yield* refusal(createApiKey(keyA, { kind: "organization", name: "ci" }));
        yield* InMemory.clearFaults;
      }),
    ),
  );
});

describe("audit.list", () => {
  it.effect("newest first with a keyset cursor; filters by type and time; a tenant reads only its own", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, keyA, keyB } = yield* world;
        for (const [key, n] of [
          [keyA, 3],
          [keyB, 2],
        ] as const) {
          for (let i = 0; i < n; i++) {
            yield* TestClock.adjust("1 second");
            yield* createApiKey(key, { kind: "organization", name: `k${i}` });
          }
        }
        const first = yield* listAudit(keyA, { cursor: null, limit: 2 });
        expect(first.items.map((e) => e.data.name)).toEqual(["k2", "k1"]);
        const second = yield* listAudit(keyA, { cursor: first.nextCursor, limit: 2 });
        expect(second.items.map((e) => e.data.name)).toEqual(["k0"]);
        expect(second.nextCursor).toBeNull();
        const all = yield* listAudit(globalKey(), { cursor: null, limit: 50 });
        expect(all.items.map((e) => e.organizationId)).toEqual([orgB.id, orgB.id, orgA.id, orgA.id, orgA.id]);
        const onlyB = yield* listAudit(globalKey(), { organizationId: orgB.id, cursor: null, limit: 50 });
        expect(onlyB.items).toHaveLength(2);
        expect((yield* listAudit(keyA, { types: ["member.added"], cursor: null, limit: 50 })).items).toEqual([]);
        const since = first.items[1]?.occurredAt as Date;
        const recent = yield* listAudit(keyA, { since, cursor: null, limit: 50 });
        expect(recent.items.map((e) => e.data.name)).toEqual(["k2", "k1"]);
        const foreign = yield* refusal(listAudit(keyA, { organizationId: orgB.id, cursor: null, limit: 50 }));
        const missing = yield* refusal(listAudit(keyA, { organizationId: MISSING, cursor: null, limit: 50 }));
        expect(foreign).toEqual(missing);
        expect(foreign).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
      }),
    ),
  );
});

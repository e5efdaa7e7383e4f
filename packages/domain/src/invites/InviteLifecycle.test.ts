import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { TestClock } from "effect/testing";
import type { Principal } from "../access/Principal.ts";
import { MembershipRepository } from "../members/MembershipRepository.ts";
import type { Target } from "../targets/Target.ts";
import * as Tenancy from "../tenancy/Tenancy.ts";
import * as InMemory from "../testing/InMemory.ts";
import { organizationKey, rootKey, userPrincipal } from "../testing/Principals.ts";
import { inTestStore, overtakenOnce as overtakenOnceOf, refusal } from "../testing/support.ts";
import { InviteAnswerStore } from "./InviteAnswerStore.ts";
import {
  acceptInvite,
  declineInvite,
  listInvites,
  previewInvite,
  resendInvite,
  revokeInvite,
} from "./InviteLifecycle.ts";
import { DEFAULT_INVITE_TTL_MS } from "./InviteSettings.ts";
import { createBulkInvite, createInvite } from "./Invites.ts";

/** The accept token of the latest delivery, as the mailer would put it in the link. */
const latestToken = Effect.map(InMemory.snapshot, (s) => s.deliveries.at(-1)?.token as string);

/** Runs `self` with `concurrent` run to completion right before its first accept write. */
const overtakenOnce = overtakenOnceOf(InviteAnswerStore);

const world = Effect.gen(function* () {
  const org = yield* InMemory.seedOrganization({ name: "Acme" });
  const site = yield* InMemory.seedWebsite(org.id, { name: "acme.io" });
  return { org, site };
});

const invite = (principal: Principal, email: string, target: Target, role: "read" | "admin" = "read") =>
  createInvite(principal, {
    type: target.type,
    method: "email",
    email,
    role,
    ...(target.type === "organization" ? { organizationId: target.id } : { websiteId: target.id }),
  });

describe("invite lifecycle (public token flows)", () => {
  it.effect("accept creates the account verified, adds the membership, and works once", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org } = yield* world;
        yield* invite(rootKey, "ann@example.com", { type: "organization", id: org.id });
        const token = yield* latestToken;
        const accepted = yield* acceptInvite({ token, firstName: " Ann " });
        const s = yield* InMemory.snapshot;
        expect(s.users).toMatchObject([
          { id: accepted.userId, email: "ann@example.com", emailVerified: true, firstName: "Ann" },
        ]);
        expect(accepted.memberships).toEqual([{ target: { type: "organization", id: org.id }, role: "read" }]);
        expect(s.memberships.map((m) => [m.userId, m.target.id])).toEqual([[accepted.userId, org.id]]);
        expect(s.invites[0]?.status).toBe("accepted");

        const again = yield* refusal(acceptInvite({ token }));
        expect(again).toMatchObject({ _tag: "Conflict", reason: "invite_already_accepted" });
      }),
    ),
  );

  it.effect("accept marks an existing unverified account verified", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org } = yield* world;
        const ann = yield* InMemory.seedUser({ email: "ann@example.com", emailVerified: false });
        yield* invite(rootKey, "ANN@example.com", { type: "organization", id: org.id });
        const accepted = yield* acceptInvite({ token: yield* latestToken });
        expect(accepted.userId).toBe(ann.id);
        expect((yield* InMemory.snapshot).users).toMatchObject([{ id: ann.id, emailVerified: true }]);
      }),
    ),
  );

  it.effect("accept keeps a membership the person already has, and answers the role it kept", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org, site } = yield* world;
        const ann = yield* InMemory.seedUser({ email: "ann@example.com" });
        yield* invite(rootKey, "ann@example.com", { type: "organization", id: org.id }, "admin");
        // Added directly, with another role, after the email went out.
        yield* InMemory.seedMembership(ann.id, { type: "organization", id: org.id }, "read");
        const accepted = yield* acceptInvite({ token: yield* latestToken });
        expect(accepted.memberships).toEqual([{ target: { type: "organization", id: org.id }, role: "read" }]);
        expect((yield* InMemory.snapshot).memberships).toMatchObject([{ userId: ann.id, role: "read" }]);
        // A target without a membership gets the invite's role.
        yield* invite(rootKey, "ann@example.com", { type: "website", id: site.id }, "admin");
        const again = yield* acceptInvite({ token: yield* latestToken });
        expect(again.memberships).toEqual([{ target: { type: "website", id: site.id }, role: "admin" }]);
      }),
    ),
  );

  it.effect("an accept overtaken between its read and its write decides again on a fresh read", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org } = yield* world;
        const target = { type: "organization", id: org.id } as const;
        yield* invite(rootKey, "ann@example.com", target);
        const token = yield* latestToken;
        // A concurrent accept of the same token wins: this one finds the token used.
        const lost = yield* Effect.flip(overtakenOnce(acceptInvite({ token }), acceptInvite({ token })));
        expect(lost).toMatchObject({ _tag: "Conflict", reason: "invite_already_accepted" });
        expect((yield* InMemory.snapshot).memberships).toHaveLength(1);
        // The invite is replaced meanwhile (a new invite before the email went out): its token moved on.
        yield* invite(rootKey, "bob@example.com", target);
        const bobs = yield* latestToken;
        const replaced = yield* Effect.flip(
          overtakenOnce(invite(rootKey, "bob@example.com", target, "admin"), acceptInvite({ token: bobs })),
        );
        expect(replaced).toMatchObject({ _tag: "Conflict", reason: "invite_superseded" });
        expect((yield* InMemory.snapshot).memberships).toHaveLength(1);
      }),
    ),
  );

  it.effect("preview never consumes the token; an unknown token is not_found", () =>
    inTestStore(
      Effect.gen(function* () {
        const { site } = yield* world;
        yield* invite(rootKey, "ann@example.com", { type: "website", id: site.id });
        const token = yield* latestToken;
        const before = yield* InMemory.snapshot;
        const preview = yield* previewInvite({ token });
        yield* previewInvite({ token });
        expect(yield* InMemory.snapshot).toEqual(before);
        expect(preview).toMatchObject({
          invitedBy: "Admit",
          targets: [{ type: "website", id: site.id, name: "acme.io", organization: { name: "Acme" }, role: "read" }],
        });
        yield* acceptInvite({ token });
        expect(yield* Effect.flip(previewInvite({ token: "inv_unknown" }))).toMatchObject({
          _tag: "NotFound",
          reason: "invite_not_found",
        });
      }),
    ),
  );

  it.effect("a replaced invite's old token stops working; the new one works", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org } = yield* world;
        yield* invite(rootKey, "ann@example.com", { type: "organization", id: org.id });
        const oldToken = yield* latestToken;
        yield* invite(rootKey, "ann@example.com", { type: "organization", id: org.id }, "admin");
        const newToken = yield* latestToken;
        expect(newToken).not.toBe(oldToken);
        const stale = yield* Effect.flip(acceptInvite({ token: oldToken }));
        expect(stale).toMatchObject({ _tag: "Conflict", reason: "invite_superseded" });
        expect((yield* InMemory.snapshot).memberships).toEqual([]);
        const accepted = yield* acceptInvite({ token: newToken });
        expect(accepted.memberships).toEqual([{ target: { type: "organization", id: org.id }, role: "admin" }]);
      }),
    ),
  );

  it.effect("one token accepts every pending invite of a bulk email, in one go", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org, site } = yield* world;
        const other = yield* InMemory.seedWebsite(org.id);
        yield* createBulkInvite(rootKey, {
          method: "email",
          email: "bob@example.com",
          role: "read",
          websiteIds: [site.id, other.id],
        });
        const accepted = yield* acceptInvite({ token: yield* latestToken });
        expect(accepted.memberships.map((m) => m.target.id).sort()).toEqual([site.id, other.id].sort());
      }),
    ),
  );

  it.effect("expired, revoked and declined invites cannot be accepted, and say why", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org, site } = yield* world;
        yield* invite(rootKey, "exp@example.com", { type: "organization", id: org.id });
        const expiring = yield* latestToken;
        const revokedInvite = yield* invite(rootKey, "rev@example.com", { type: "organization", id: org.id });
        const revoking = yield* latestToken;
        yield* invite(rootKey, "dec@example.com", { type: "website", id: site.id });
        const declining = yield* latestToken;

        if (!("inviteId" in revokedInvite)) throw new Error("expected an email invite");
        yield* revokeInvite(rootKey, { inviteId: revokedInvite.inviteId });
        expect(yield* declineInvite({ token: declining })).toMatchObject({ declined: 1 });
        yield* TestClock.adjust(DEFAULT_INVITE_TTL_MS);

        expect(yield* Effect.flip(acceptInvite({ token: expiring }))).toMatchObject({ reason: "invite_expired" });
        expect(yield* Effect.flip(acceptInvite({ token: revoking }))).toMatchObject({ reason: "invite_revoked" });
        expect(yield* Effect.flip(acceptInvite({ token: declining }))).toMatchObject({ reason: "invite_declined" });
        expect((yield* InMemory.snapshot).memberships).toEqual([]);
      }),
    ),
  );

  it.effect("resend issues a new token and expiry; the old token stops working", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org } = yield* world;
        const created = yield* invite(rootKey, "ann@example.com", { type: "organization", id: org.id });
        if (!("inviteId" in created)) throw new Error("expected an email invite");
        const oldToken = yield* latestToken;
        yield* TestClock.adjust(1000);
        const resent = yield* resendInvite(rootKey, { inviteId: created.inviteId });
        expect(resent.expiresAt).toEqual(new Date(1000 + DEFAULT_INVITE_TTL_MS));
        const newToken = yield* latestToken;
        expect(newToken).not.toBe(oldToken);
        const stale = yield* Effect.flip(acceptInvite({ token: oldToken }));
        expect(stale).toMatchObject({ _tag: "Conflict", reason: "invite_superseded" });
        yield* acceptInvite({ token: newToken });
      }),
    ),
  );

  it.effect("an invite whose inviter lost authority is not honoured: inviter_lost_authority", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org, site } = yield* world;
        // An organization key that was revoked after inviting.
        const key = yield* Tenancy.createApiKey(rootKey, { kind: "organization", organizationId: org.id, name: "app" });
        yield* invite(organizationKey(org.id, key.id), "ann@example.com", { type: "organization", id: org.id });
        const byKey = yield* latestToken;
        yield* Tenancy.revokeApiKey(rootKey, { apiKeyId: key.id });

        // A user admin who lost the website membership after inviting.
        const boss = yield* InMemory.seedUser({ email: "boss@example.com" });
        yield* InMemory.seedMembership(boss.id, { type: "website", id: site.id }, "admin");
        yield* invite(userPrincipal(boss), "bob@example.com", { type: "website", id: site.id });
        const byUser = yield* latestToken;
        yield* (yield* MembershipRepository).remove({ type: "website", id: site.id }, boss.id);

        for (const token of [byKey, byUser]) {
          const error = yield* refusal(acceptInvite({ token }));
          expect(error).toMatchObject({ _tag: "Forbidden", reason: "inviter_lost_authority" });
        }
      }),
    ),
  );

  it.effect("accept honours what it still can and revokes the rest: the token works once", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org, site } = yield* world;
        const other = yield* InMemory.seedWebsite(org.id);
        const boss = yield* InMemory.seedUser({ email: "boss@example.com" });
        yield* InMemory.seedMembership(boss.id, { type: "website", id: site.id }, "admin");
        yield* InMemory.seedMembership(boss.id, { type: "website", id: other.id }, "admin");
        const sent = yield* createBulkInvite(userPrincipal(boss), {
          method: "email",
          email: "ann@example.com",
          role: "read",
          websiteIds: [site.id, other.id],
        });
        const [kept, dropped] = sent.results.map((r) => r.inviteId as string);
        const token = yield* latestToken;
        const members = yield* MembershipRepository;
        yield* members.remove({ type: "website", id: other.id }, boss.id);

        const accepted = yield* acceptInvite({ token });
        expect(accepted.memberships).toEqual([{ target: { type: "website", id: site.id }, role: "read" }]);
        const statuses = Object.fromEntries((yield* InMemory.snapshot).invites.map((i) => [i.id, i.status]));
        expect(statuses).toEqual({ [kept as string]: "accepted", [dropped as string]: "revoked" });

        // Even once the inviter is admin there again, the used token grants nothing more.
        yield* InMemory.seedMembership(boss.id, { type: "website", id: other.id }, "admin");
        expect(yield* refusal(acceptInvite({ token }))).toMatchObject({
          _tag: "Conflict",
          reason: "invite_already_accepted",
        });
        expect(
          (yield* InMemory.snapshot).memberships.filter((m) => m.target.id === other.id).map((m) => m.userId),
        ).toEqual([boss.id]);
      }),
    ),
  );
});

describe("invites.list", () => {
  const page = { cursor: null, limit: 50 };

  it.effect("the email filter is normalized like every email", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org, site } = yield* world;
        yield* invite(rootKey, "ann@example.com", { type: "organization", id: org.id });
        yield* invite(rootKey, "ann@example.com", { type: "website", id: site.id });
        yield* invite(rootKey, "bob@example.com", { type: "organization", id: org.id });
        const listed = yield* listInvites(rootKey, { ...page, email: " ANN@Example.com " });
        expect(listed.items.map((i) => [i.email, i.target.type])).toEqual([
          ["ann@example.com", "website"],
          ["ann@example.com", "organization"],
        ]);
        const byKey = yield* listInvites(organizationKey(org.id), { ...page, email: "Bob@Example.COM" });
        expect(byKey.items.map((i) => i.email)).toEqual(["bob@example.com"]);
      }),
    ),
  );

  it.effect(
    "a user may not revoke or resend its own invitation: forbidden, as it can read it; another's is not_found",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const { org } = yield* world;
          const ann = yield* InMemory.seedUser({ email: "ann@example.com" });
          const bob = yield* InMemory.seedUser({ email: "bob@example.com" });
          const sent = yield* invite(rootKey, "ann@example.com", { type: "organization", id: org.id });
          if (!("inviteId" in sent)) throw new Error("expected an email invite");
          const before = yield* InMemory.snapshot;
          for (const call of [revokeInvite, resendInvite]) {
            expect(yield* refusal(call(userPrincipal(ann), { inviteId: sent.inviteId }))).toMatchObject({
              _tag: "Forbidden",
              reason: "insufficient_role",
            });
            expect(yield* refusal(call(userPrincipal(bob), { inviteId: sent.inviteId }))).toMatchObject({
              _tag: "NotFound",
              reason: "invite_not_found",
            });
          }
          expect(yield* InMemory.snapshot).toEqual(before);
        }),
      ),
  );

  it.effect("a user reads only invites addressed to them, whatever the case of the filter", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org } = yield* world;
        const ann = yield* InMemory.seedUser({ email: "ann@example.com" });
        yield* invite(rootKey, "ann@example.com", { type: "organization", id: org.id });
        yield* invite(rootKey, "bob@example.com", { type: "organization", id: org.id });
        const asAnn = userPrincipal(ann);
        const own = yield* listInvites(asAnn, { ...page, email: "ANN@example.com" });
        expect(own.items.map((i) => i.email)).toEqual(["ann@example.com"]);
        expect((yield* listInvites(asAnn, page)).items.map((i) => i.email)).toEqual(["ann@example.com"]);
        expect(yield* listInvites(asAnn, { ...page, email: "bob@example.com" })).toEqual({
          items: [],
          nextCursor: null,
        });
      }),
    ),
  );
});

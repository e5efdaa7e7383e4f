import { Effect } from "effect";
import { expect } from "vitest";
import { inviteEvent } from "../../events/Event.ts";
import { EventLog } from "../../events/EventLog.ts";
import { EmailInviteStore, type PlannedDelivery } from "../../invites/EmailInviteStore.ts";
import { InviteAnswerStore } from "../../invites/InviteAnswerStore.ts";
import type { NewInvite } from "../../invites/InviteRepository.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { TokenGenerator } from "../../shared/TokenGenerator.ts";
import { Transactor } from "../../shared/Transactor.ts";
import type { ResolvedTarget } from "../../targets/Target.ts";
import * as fixtures from "./fixtures.ts";
import { contract, freshEmail } from "./harness.ts";

const ROOT = { kind: "root", id: null, name: "Root" } as const;
const HOUR = 3_600_000;

/** The fixtures' world, and a fresh recipient. */
const world = Effect.map(fixtures.world, (w) => ({ ...w, email: freshEmail("invitee") }));

/** Reads, then writes invites of `email` to `targets` on the delivery `choose` picks, in one transaction. */
const inviteOnce = (
  email: string,
  targets: ReadonlyArray<ResolvedTarget>,
  choose: (
    pending: ReadonlyArray<{ readonly inviteId: string; readonly delivery: { readonly id: string } }>,
  ) => Effect.Effect<PlannedDelivery, never, IdGenerator | TokenGenerator>,
  limit = 500,
) =>
  Effect.gen(function* () {
    const transactor = yield* Transactor;
    return yield* transactor.withTransaction(
      Effect.gen(function* () {
        const store = yield* EmailInviteStore;
        const ids = yield* IdGenerator;
        const state = yield* store.read({ email, targets, roleHolder: null });
        const delivery = yield* choose(state.pending);
        const deliveryId = delivery._tag === "New" ? delivery.delivery.id : delivery.id;
        const invites: NewInvite[] = [];
        for (const target of targets) {
          invites.push({
            id: state.pending.find((p) => p.target.id === target.id)?.inviteId ?? (yield* ids.next),
            email,
            target,
            role: "edit",
            deliveryId,
            inviter: ROOT,
            firstName: null,
            lastName: null,
            expiresAt: new Date(Date.now() + 86_400_000),
            redirectUrl: null,
            locale: null,
          });
        }
        const written = yield* store.write({
          delivery,
          invites,
          events: invites.map((i) => inviteEvent("invite.created", { kind: "root", id: null }, i)),
          quota: { organizationIds: [targets[0]?.organizationId as string], now: new Date(), windowMs: HOUR, limit },
        });
        return { state, written, invites };
      }),
    );
  });

const newDelivery = (email: string) =>
  Effect.gen(function* () {
    const token = yield* (yield* TokenGenerator).next("inv");
    return {
      _tag: "New",
      delivery: {
        id: yield* (yield* IdGenerator).next,
        email,
        token: token.token,
        tokenHash: token.hash,
        inviterName: "Root",
        kind: "invite",
      },
    } as const;
  });

/** Email invites: one read after the recipient's lock, one write of the delivery, invites, events and quota count. */
export const emailInviteStoreContract = contract("EmailInviteStore", (it) => {
  it("writes a new delivery with its invites, events and quota count; the next read sees them pending", function* () {
    const { org, organization, website, email } = yield* world;
    const first = yield* inviteOnce(email, [organization, website], () => newDelivery(email));
    expect(first.state).toMatchObject({
      memberOf: [],
      pending: [],
      organizations: [{ id: org.id, allowedRedirectOrigins: [] }],
    });
    expect(first.written).toEqual({ _tag: "Written" });
    const again = yield* inviteOnce(email, [organization], (pending) =>
      Effect.succeed({ _tag: "Reuse", id: pending[0]?.delivery.id as string } as const),
    );
    expect(again.state.pending).toEqual([
      {
        target: { type: "organization", id: organization.id },
        inviteId: first.invites[0]?.id,
        delivery: { id: first.invites[0]?.deliveryId, status: "queued", sentAt: null },
      },
    ]);
    expect(again.written).toEqual({ _tag: "Written" });
    const page = yield* (yield* EventLog).list({ organizationId: org.id }, { cursor: null, limit: 10 });
    expect(page.items.map((e) => e.type)).toEqual(["invite.created", "invite.created", "invite.created"]);
  });

  it("past the limit writes nothing and answers each organization's count with this email", function* () {
    const { org, organization, website, email } = yield* world;
    const before = yield* (yield* EventLog).list({ organizationId: org.id }, { cursor: null, limit: 10 });
    expect(yield* inviteOnce(email, [organization], () => newDelivery(email), 1)).toMatchObject({
      written: { _tag: "Written" },
    });
    const other = freshEmail("invitee");
    const refused = yield* inviteOnce(other, [website], () => newDelivery(other), 1);
    expect(refused.written).toMatchObject({
      _tag: "OverQuota",
      usage: [{ organizationId: org.id, used: 2, limitOverride: null }],
    });
    // Neither the invite, nor its event, nor the count stayed: with room again, the count is 2.
    const again = yield* inviteOnce(other, [website], () => newDelivery(other), 2);
    expect(again.state.pending).toEqual([]);
    expect(again.written).toEqual({ _tag: "Written" });
    const page = yield* (yield* EventLog).list({ organizationId: org.id }, { cursor: null, limit: 10 });
    expect(page.items.length - before.items.length).toBe(2);
  });

  it("renews a queued delivery: the new token reaches the invites, the old one reaches none", function* () {
    const { organization, email } = yield* world;
    const fresh = yield* newDelivery(email);
    yield* inviteOnce(email, [organization], () => Effect.succeed(fresh));
    const token = yield* (yield* TokenGenerator).next("inv");
    const renewed = yield* inviteOnce(email, [organization], (pending) =>
      Effect.succeed({ _tag: "Renew", id: pending[0]?.delivery.id as string, token } as const),
    );
    expect(renewed.written._tag).toBe("Written");
    const accepts = yield* InviteAnswerStore;
    expect((yield* accepts.read(token.hash))?.invites.map((i) => i.id)).toEqual([renewed.invites[0]?.id]);
    expect((yield* accepts.read(fresh.delivery.tokenHash))?.invites).toEqual([]);
  });
});

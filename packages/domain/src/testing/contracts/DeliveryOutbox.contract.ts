import { Effect } from "effect";
import { expect } from "vitest";
import { type ClaimedDelivery, DeliveryOutbox, type OutgoingDelivery } from "../../deliveries/DeliveryOutbox.ts";
import { DeliveryReportRepository } from "../../deliveries/DeliveryReportRepository.ts";
import { InviteRepository } from "../../invites/InviteRepository.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { TenancyRepository } from "../../tenancy/TenancyRepository.ts";
import { inviteByEmail, inviteEach, invitesOn, messageId, queueDelivery, respond, world } from "./fixtures.ts";
import { contract, freshEmail, tick } from "./harness.ts";

/** Organization ids as a set: the port promises no order. */
const sortedIds = (ids: ReadonlyArray<string | null>) => [...ids].map((id) => id ?? "").sort();

const claimOne = (deliveryId: string) =>
  Effect.gen(function* () {
    const claimed = (yield* (yield* DeliveryOutbox).claim([deliveryId])).get(deliveryId);
    return claimed;
  });

const queued = (claimed: ClaimedDelivery | undefined): OutgoingDelivery => {
  if (claimed?._tag !== "Queued") return expect.unreachable(`expected a queued delivery, got ${claimed?._tag}`);
  return claimed.delivery;
};

/** The delivery an invite points at, as callers of the invite see it. */
const deliveryOf = (inviteId: string) =>
  Effect.gen(function* () {
    return (yield* (yield* InviteRepository).get(inviteId))?.delivery;
  });

/** The worker's side of deliveries: claim what is queued with what its email needs, record each attempt once. */
export const deliveryOutboxContract = contract("DeliveryOutbox", (it) => {
  it("claims a queued delivery with its token, recipient, sender and the pending unexpired invites' targets", function* () {
    const { org, organization, website, groupTarget } = yield* world;
    yield* (yield* TenancyRepository).updateOrganization(org.id, {
      displayName: "Acme Inc",
      logoUrl: "https://acme.example/logo.png",
      primaryColor: "#112233",
      supportEmail: "help@acme.example",
      locale: "fr",
    });
    const email = freshEmail("ann");
    const delivery = yield* queueDelivery(email, { inviterName: "Mo" });
    const expiresAt = new Date(Date.now() + 3_600_000);
    yield* invitesOn(delivery.id, email, [organization], { role: "admin", expiresAt });
    yield* tick;
    yield* invitesOn(delivery.id, email, [website], { firstName: "Ann", expiresAt });
    yield* tick;
    yield* invitesOn(delivery.id, email, [groupTarget], { firstName: "Other", role: "comment", expiresAt });
    // Pending but past its expiry: it names the recipient no target.
    const { website: old } = yield* world;
    yield* invitesOn(delivery.id, email, [old], { expiresAt: new Date(Date.now() - 60_000) });

    const claims = yield* (yield* DeliveryOutbox).claim([delivery.id]);
    expect([...claims.keys()]).toEqual([delivery.id]);
    const claimed = queued(claims.get(delivery.id));
    expect({ ...claimed, organizationIds: sortedIds(claimed.organizationIds) }).toEqual({
      id: delivery.id,
      email,
      token: delivery.token,
      inviterName: "Mo",
      kind: "invite",
      attempts: 0,
      referenced: true,
      firstName: "Ann",
      locale: "fr",
      brand: {
        name: "Acme Inc",
        logoUrl: "https://acme.example/logo.png",
        primaryColor: "#112233",
        supportEmail: "help@acme.example",
      },
      organizationIds: sortedIds([org.id, old.organizationId, null]),
      // By kind of target, then name; a group names no organization, the others their organization's name.
      targets: [
        {
          type: "group",
          id: groupTarget.id,
          name: "portfolio",
          organizationName: null,
          role: "comment",
          expiresAt,
        },
        { type: "organization", id: org.id, name: "acme", organizationName: "acme", role: "admin", expiresAt },
        { type: "website", id: website.id, name: "shop", organizationName: "acme", role: "read", expiresAt },
      ],
    });
  });

  it("takes the first invite's own language before its organization's, and the organization's name without a display name", function* () {
    const { org, organization, website } = yield* world;
    yield* (yield* TenancyRepository).updateOrganization(org.id, { locale: "fr" });
    const email = freshEmail("ann");
    const delivery = yield* queueDelivery(email, { kind: "resend" });
    yield* invitesOn(delivery.id, email, [organization], { locale: "de" });
    yield* tick;
    yield* invitesOn(delivery.id, email, [website], { locale: "es" });
    const claimed = queued(yield* claimOne(delivery.id));
    expect(claimed).toMatchObject({
      kind: "resend",
      locale: "de",
      firstName: null,
      brand: { name: "acme", logoUrl: null, primaryColor: null, supportEmail: null },
    });

    const { groupTarget } = yield* world;
    const groupOnly = yield* inviteByEmail(freshEmail("bob"), [groupTarget]);
    expect(queued(yield* claimOne(groupOnly.delivery.id))).toMatchObject({
      locale: null,
      brand: null,
      organizationIds: [null],
    });
  });

  it("claims a delivery with nothing left to send: its invites answered, or no invite pointing at it", function* () {
    const { org, organization } = yield* world;
    const answered = yield* inviteByEmail(freshEmail("ann"), [organization], { firstName: "Ann" });
    yield* respond(answered.ids, "accepted");
    expect(queued(yield* claimOne(answered.delivery.id))).toMatchObject({
      targets: [],
      referenced: true,
      firstName: null,
      locale: null,
      brand: null,
      organizationIds: [org.id],
    });
    const orphan = yield* queueDelivery(freshEmail("bob"));
    expect(queued(yield* claimOne(orphan.id))).toMatchObject({
      targets: [],
      referenced: false,
      organizationIds: [],
    });
  });

  it("answers Missing for an absent id and Settled for a delivery that left the queue, in one claim", function* () {
    const outbox = yield* DeliveryOutbox;
    const { organization } = yield* world;
    const [waiting, sent, failed, delivered, bounced] = yield* inviteEach(
      ["waiting", "sent", "failed", "delivered", "bounced"],
      organization,
    );
    yield* outbox.record([
      { _tag: "Sent", id: sent.delivery.id, messageId: null },
      { _tag: "Failed", id: failed.delivery.id, reason: "inactive recipient" },
      { _tag: "Sent", id: delivered.delivery.id, messageId: yield* messageId },
      { _tag: "Sent", id: bounced.delivery.id, messageId: yield* messageId },
    ]);
    const reports = yield* DeliveryReportRepository;
    yield* reports.record(delivered.delivery.id, { status: "delivered", at: new Date(), bounce: null });
    yield* reports.record(bounced.delivery.id, {
      status: "bounced",
      at: new Date(),
      bounce: { type: "HardBounce", description: "no such user", permanent: true },
    });
    const missing = yield* (yield* IdGenerator).next;
    const claims = yield* outbox.claim([
      missing,
      bounced.delivery.id,
      sent.delivery.id,
      waiting.delivery.id,
      failed.delivery.id,
      delivered.delivery.id,
    ]);
    expect(claims.size).toBe(6);
    expect(claims.get(missing)).toEqual({ _tag: "Missing" });
    expect(claims.get(sent.delivery.id)).toEqual({ _tag: "Settled", status: "sent" });
    expect(claims.get(failed.delivery.id)).toEqual({ _tag: "Settled", status: "failed" });
    expect(claims.get(delivered.delivery.id)).toEqual({ _tag: "Settled", status: "sent" });
    expect(claims.get(bounced.delivery.id)).toEqual({ _tag: "Settled", status: "sent" });
    expect(claims.get(waiting.delivery.id)?._tag).toBe("Queued");
    expect((yield* outbox.claim([])).size).toBe(0);
  });

  it("records each attempt on a queued delivery only: sent wipes the token, a retry keeps it", function* () {
    const outbox = yield* DeliveryOutbox;
    const { organization } = yield* world;
    const [first, second, third] = yield* inviteEach(["first", "second", "third"], organization);

    yield* outbox.record([{ _tag: "Attempted", id: first.delivery.id, reason: "timeout" }]);
    expect(queued(yield* claimOne(first.delivery.id))).toMatchObject({
      attempts: 1,
      token: first.delivery.token,
    });
    expect(yield* deliveryOf(first.ids[0] as string)).toEqual({
      id: first.delivery.id,
      status: "queued",
      lastError: "timeout",
      bounce: null,
    });

    const id = yield* messageId;
    yield* outbox.record([
      { _tag: "Sent", id: first.delivery.id, messageId: id },
      { _tag: "Failed", id: second.delivery.id, reason: "x".repeat(1500) },
      { _tag: "Attempted", id: third.delivery.id, reason: "busy" },
    ]);
    expect(yield* deliveryOf(first.ids[0] as string)).toMatchObject({ status: "sent", lastError: null });
    expect(yield* deliveryOf(second.ids[0] as string)).toMatchObject({
      status: "failed",
      lastError: "x".repeat(1000),
    });
    expect(queued(yield* claimOne(third.delivery.id))).toMatchObject({
      attempts: 1,
      token: third.delivery.token,
    });
    expect((yield* (yield* DeliveryReportRepository).findByMessageId(id))?.id).toBe(first.delivery.id);

    // Only a queued delivery changes: a late record of a settled one is ignored.
    yield* outbox.record([
      { _tag: "Failed", id: first.delivery.id, reason: "late" },
      { _tag: "Sent", id: second.delivery.id, messageId: null },
    ]);
    expect(yield* deliveryOf(first.ids[0] as string)).toMatchObject({ status: "sent", lastError: null });
    expect(yield* deliveryOf(second.ids[0] as string)).toMatchObject({ status: "failed" });
    yield* outbox.record([]);
  });

  it("gives up a queued delivery once, keeping the last attempt's reason", function* () {
    const outbox = yield* DeliveryOutbox;
    const { organization } = yield* world;
    const [retried, never, sent] = yield* inviteEach(["retried", "never", "sent"], organization);
    yield* outbox.record([
      { _tag: "Attempted", id: retried.delivery.id, reason: "smtp 451" },
      { _tag: "Sent", id: sent.delivery.id, messageId: null },
    ]);
    expect(yield* outbox.giveUp(retried.delivery.id)).toBe(true);
    expect(yield* deliveryOf(retried.ids[0] as string)).toMatchObject({
      status: "failed",
      lastError: "retries_exhausted: smtp 451",
    });
    expect(yield* claimOne(retried.delivery.id)).toEqual({ _tag: "Settled", status: "failed" });
    expect(yield* outbox.giveUp(retried.delivery.id)).toBe(false);
    expect(yield* outbox.giveUp(never.delivery.id)).toBe(true);
    expect((yield* deliveryOf(never.ids[0] as string))?.lastError).toBe(
      "retries_exhausted: the worker could not process it (see its log)",
    );
    expect(yield* outbox.giveUp(sent.delivery.id)).toBe(false);
    expect(yield* deliveryOf(sent.ids[0] as string)).toMatchObject({ status: "sent", lastError: null });
    expect(yield* outbox.giveUp(yield* (yield* IdGenerator).next)).toBe(false);
  });

  it("keeps a provider's message id to one delivery, writing nothing of a record that would share it", function* () {
    const outbox = yield* DeliveryOutbox;
    const { organization } = yield* world;
    const [first, second] = yield* inviteEach(["first", "second"], organization);
    const id = yield* messageId;
    yield* outbox.record([{ _tag: "Sent", id: first.delivery.id, messageId: id }]);
    const error = yield* Effect.flip(outbox.record([{ _tag: "Sent", id: second.delivery.id, messageId: id }]));
    expect(error._tag).toBe("RepositoryError");
    expect(queued(yield* claimOne(second.delivery.id))).toMatchObject({ attempts: 0 });
    expect((yield* (yield* DeliveryReportRepository).findByMessageId(id))?.id).toBe(first.delivery.id);
  });
});

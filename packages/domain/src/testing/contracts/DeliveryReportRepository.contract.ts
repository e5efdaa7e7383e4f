import { Effect } from "effect";
import { expect } from "vitest";
import { DeliveryOutbox } from "../../deliveries/DeliveryOutbox.ts";
import { DeliveryReportRepository } from "../../deliveries/DeliveryReportRepository.ts";
import { InviteRepository } from "../../invites/InviteRepository.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { inviteByEmail, messageId, world } from "./fixtures.ts";
import { contract, freshEmail } from "./harness.ts";

/** An email invite the provider accepted under a fresh message id. */
const sentInvite = (targets: Parameters<typeof inviteByEmail>[1]) =>
  Effect.gen(function* () {
    const email = freshEmail("ann");
    const invite = yield* inviteByEmail(email, targets);
    const id = yield* messageId;
    yield* (yield* DeliveryOutbox).record([{ _tag: "Sent", id: invite.delivery.id, messageId: id }]);
    return { ...invite, email, messageId: id };
  });

const deliveryOf = (inviteId: string) =>
  Effect.gen(function* () {
    return (yield* (yield* InviteRepository).get(inviteId))?.delivery;
  });

/** The provider's reports: a sent delivery found by its message id, and the state a report moves it to. */
export const deliveryReportRepositoryContract = contract("DeliveryReportRepository", (it) => {
  it("finds a sent delivery by its message id, with the organizations of its invites", function* () {
    const reports = yield* DeliveryReportRepository;
    const { org, organization, website, groupTarget } = yield* world;
    const sent = yield* sentInvite([organization, website, groupTarget]);
    const found = yield* reports.findByMessageId(sent.messageId);
    expect(found === null ? null : { ...found, organizationIds: [...found.organizationIds].sort() }).toEqual({
      id: sent.delivery.id,
      email: sent.email,
      kind: "invite",
      organizationIds: [org.id, null].sort(),
      status: "sent",
      bouncePermanent: null,
    });
    expect(yield* reports.findByMessageId(yield* messageId)).toBeNull();
    // A report of a delivery that is gone records nothing, and fails nothing.
    yield* reports.record(yield* (yield* IdGenerator).next, {
      status: "delivered",
      at: new Date(),
      bounce: null,
    });
  });

  it("records delivered, bounced and complained; a complaint keeps the bounce it follows", function* () {
    const reports = yield* DeliveryReportRepository;
    const { organization } = yield* world;
    const delivered = yield* sentInvite([organization]);
    yield* reports.record(delivered.delivery.id, { status: "delivered", at: new Date(), bounce: null });
    expect(yield* reports.findByMessageId(delivered.messageId)).toMatchObject({
      status: "delivered",
      bouncePermanent: null,
    });
    expect(yield* deliveryOf(delivered.ids[0] as string)).toEqual({
      id: delivered.delivery.id,
      status: "delivered",
      lastError: null,
      bounce: null,
    });

    const bounced = yield* sentInvite([organization]);
    const bounce = { type: "HardBounce", description: "no such user", permanent: true };
    yield* reports.record(bounced.delivery.id, { status: "bounced", at: new Date(), bounce });
    expect(yield* reports.findByMessageId(bounced.messageId)).toMatchObject({
      status: "bounced",
      bouncePermanent: true,
    });
    expect(yield* deliveryOf(bounced.ids[0] as string)).toMatchObject({ status: "bounced", bounce });
    yield* reports.record(bounced.delivery.id, { status: "complained", at: new Date(), bounce: null });
    expect(yield* reports.findByMessageId(bounced.messageId)).toMatchObject({
      status: "complained",
      bouncePermanent: true,
    });
    expect(yield* deliveryOf(bounced.ids[0] as string)).toMatchObject({ status: "complained", bounce });

    const soft = { type: "SoftBounce", description: "mailbox full", permanent: false };
    yield* reports.record(bounced.delivery.id, { status: "bounced", at: new Date(), bounce: soft });
    expect(yield* reports.findByMessageId(bounced.messageId)).toMatchObject({ bouncePermanent: false });
    expect(yield* deliveryOf(bounced.ids[0] as string)).toMatchObject({ bounce: soft });
  });

  it("keeps at most 100 characters of a bounce's type and 1000 of its description", function* () {
    const { organization } = yield* world;
    const sent = yield* sentInvite([organization]);
    yield* (yield* DeliveryReportRepository).record(sent.delivery.id, {
      status: "bounced",
      at: new Date(),
      bounce: { type: "T".repeat(150), description: "d".repeat(1500), permanent: false },
    });
    expect((yield* deliveryOf(sent.ids[0] as string))?.bounce).toEqual({
      type: "T".repeat(100),
      description: "d".repeat(1000),
      permanent: false,
    });
  });
});

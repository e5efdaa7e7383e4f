import { Effect } from "effect";
import { expect } from "vitest";
import { DeliveryOutbox } from "../../deliveries/DeliveryOutbox.ts";
import { DeliveryRepository } from "../../deliveries/DeliveryRepository.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { inviteByEmail, queueDelivery, respond, world } from "./fixtures.ts";
import { contract, freshEmail, tick } from "./harness.ts";

/**
 * Deliveries, the request side: queue an email, tell what a recipient's pending invites ride on,
 * renew a token, count resends. Being reworked with the other write paths into fewer statements:
 * kept apart, so that these cases are adjusted together.
 */
export const deliveryRepositoryContract = contract("DeliveryRepository writes", (it) => {
  it("tells the deliveries of a recipient's pending invites to the targets asked for", function* () {
    const deliveries = yield* DeliveryRepository;
    const { organization, website, groupTarget } = yield* world;
    const ann = freshEmail("ann");
    const { delivery, ids } = yield* inviteByEmail(ann, [organization, website]);
    yield* inviteByEmail(freshEmail("bob"), [groupTarget]);
    const current = yield* deliveries.current(ann, [website, organization, groupTarget]);
    expect([...current].sort((a, b) => a.target.type.localeCompare(b.target.type))).toEqual([
      { target: organization, deliveryId: delivery.id, status: "queued", sentAt: null },
      { target: website, deliveryId: delivery.id, status: "queued", sentAt: null },
    ]);
    const before = Date.now();
    yield* (yield* DeliveryOutbox).record([{ _tag: "Sent", id: delivery.id, messageId: null }]);
    const [sent] = yield* deliveries.current(ann, [website]);
    expect(sent).toMatchObject({ target: website, deliveryId: delivery.id, status: "sent" });
    expect(Math.abs((sent?.sentAt?.getTime() ?? 0) - before)).toBeLessThan(5_000);
    yield* respond([ids[0] as string], "accepted");
    expect(yield* deliveries.current(ann, [organization])).toEqual([]);
    expect(yield* deliveries.current(freshEmail("cat"), [organization, website])).toEqual([]);
  });

  it("counts the resends to one recipient since a time", function* () {
    const deliveries = yield* DeliveryRepository;
    const ann = freshEmail("ann");
    const since = new Date(Date.now() - 60_000);
    yield* queueDelivery(ann, { kind: "resend" });
    yield* tick;
    const between = new Date();
    yield* tick;
    yield* queueDelivery(ann, { kind: "resend" });
    yield* queueDelivery(ann, { kind: "invite" });
    yield* queueDelivery(freshEmail("bob"), { kind: "resend" });
    expect(yield* deliveries.countResends(ann, since)).toBe(2);
    expect(yield* deliveries.countResends(ann, between)).toBe(1);
    expect(yield* deliveries.countResends(ann, new Date(Date.now() + 60_000))).toBe(0);
    expect(yield* deliveries.countResends(freshEmail("cat"), since)).toBe(0);
  });

  it("refuses a delivery whose token hash is taken, writing nothing", function* () {
    const deliveries = yield* DeliveryRepository;
    const email = freshEmail("ann");
    const taken = yield* queueDelivery(email);
    const id = yield* (yield* IdGenerator).next;
    const error = yield* Effect.flip(
      deliveries.enqueue({ id, email, token: "t", tokenHash: taken.hash, inviterName: "Admit", kind: "resend" }),
    );
    expect(error._tag).toBe("RepositoryError");
    expect(yield* deliveries.countResends(email, new Date(0))).toBe(0);
    expect((yield* (yield* DeliveryOutbox).claim([id])).get(id)).toEqual({ _tag: "Missing" });
  });
});

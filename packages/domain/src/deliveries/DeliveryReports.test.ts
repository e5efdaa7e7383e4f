import { describe, expect, it } from "@effect/vitest";
import { Effect, Layer } from "effect";
import type { NewEvent } from "../events/Event.ts";
import type { DeliveryStatus } from "../invites/Invite.ts";
import { transactionsRecordedIn } from "../testing/support.ts";
import { DeliveryReportRepository, type ReportedDelivery } from "./DeliveryReportRepository.ts";
import { type DeliveryReport, recordDeliveryReport, SPAM_COMPLAINT_BOUNCE } from "./DeliveryReports.ts";

const at = new Date("2026-12-02T10:00:00Z");
const hardBounce = { type: "HardBounce", description: "unknown user", permanent: true };
const softBounce = { type: "SoftBounce", description: "mailbox full", permanent: false };

const delivered: DeliveryReport = { kind: "delivered", messageId: "m1", at };
const bounced: DeliveryReport = { kind: "bounced", messageId: "m1", at, bounce: hardBounce };
const softBounced: DeliveryReport = { kind: "bounced", messageId: "m1", at, bounce: softBounce };
const complained: DeliveryReport = { kind: "complained", messageId: "m1", at };

/**
 * One sent delivery under message id `m1` (its invites in two organizations and a group), a
 * repository that keeps its state, an event log, and the order of what happened in a transaction.
 */
const world = (status: DeliveryStatus = "sent") => {
  let row: ReportedDelivery = {
    id: "d1",
    email: "ann@example.com",
    kind: "invite",
    organizationIds: ["o1", "o2", null],
    status,
    bouncePermanent: null,
  };
  const calls: string[] = [];
  const events: NewEvent[] = [];
  const layer = Layer.mergeAll(
    Layer.succeed(
      DeliveryReportRepository,
      DeliveryReportRepository.of({
        findByMessageId: (messageId) => Effect.sync(() => (messageId === "m1" ? row : null)),
        record: (id, state) =>
          Effect.sync(() => {
            calls.push(`record ${id} ${state.status}`);
            row = {
              ...row,
              status: state.status,
              bouncePermanent: state.bounce === null ? row.bouncePermanent : state.bounce.permanent,
            };
          }),
      }),
    ),
    transactionsRecordedIn(calls, events),
  );
  const report = (r: DeliveryReport) => recordDeliveryReport(r).pipe(Effect.provide(layer));
  return { calls, events, report };
};

describe("recordDeliveryReport", () => {
  it.effect("each report records exactly its event, per organization, in the report's transaction", () =>
    Effect.gen(function* () {
      const cases = [
        [delivered, "delivery.delivered", { status: "delivered" }],
        [bounced, "delivery.bounced", { status: "bounced", bounce: hardBounce }],
        // A spam complaint is told as a bounce of type SpamComplaint, the address not to be mailed again.
        [complained, "delivery.bounced", { status: "complained", bounce: SPAM_COMPLAINT_BOUNCE }],
      ] as const;
      for (const [report, type, data] of cases) {
        const w = world();
        expect(yield* w.report(report)).toEqual({ _tag: "Applied", deliveryId: "d1", status: report.kind });
        expect(w.calls).toEqual([
          "begin",
          `record d1 ${report.kind}`,
          `event ${type} o1`,
          `event ${type} o2`,
          `event ${type} null`,
          "commit",
        ]);
        for (const event of w.events) {
          expect(event).toMatchObject({
            type,
            actor: { kind: "system" },
            subject: { type: "delivery", id: "d1" },
            data: { deliveryId: "d1", email: "ann@example.com", kind: "invite", at: at.toISOString(), ...data },
          });
        }
      }
      expect(SPAM_COMPLAINT_BOUNCE).toMatchObject({ type: "SpamComplaint", permanent: true });
    }),
  );

  it.effect("a duplicate report records no event", () =>
    Effect.gen(function* () {
      for (const report of [delivered, bounced, complained]) {
        const w = world();
        yield* w.report(report);
        const before = w.events.length;
        expect((yield* w.report(report))._tag).toBe("Ignored");
        expect(w.events.length).toBe(before);
      }
    }),
  );

  it.effect("a report out of order records no event: a late delivered after a permanent bounce or a complaint", () =>
    Effect.gen(function* () {
      const w = world();
      yield* w.report(bounced);
      yield* w.report(complained);
      const before = w.events.map((e) => e.type);
      expect(yield* w.report(delivered)).toEqual({ _tag: "Ignored", deliveryId: "d1", status: "complained" });
      expect(yield* w.report(bounced)).toEqual({ _tag: "Ignored", deliveryId: "d1", status: "complained" });
      expect(w.events.map((e) => e.type)).toEqual(before);
      // One event per state the delivery moved to, three organizations each.
      expect(before).toEqual([...Array(6)].map(() => "delivery.bounced"));
    }),
  );

  it.effect("a temporary bounce then delivered: each move records its own event, the late soft bounce none", () =>
    Effect.gen(function* () {
      const w = world();
      yield* w.report(softBounced);
      yield* w.report(delivered);
      expect((yield* w.report(softBounced))._tag).toBe("Ignored");
      expect(w.events.filter((e) => e.organizationId === "o1").map((e) => e.type)).toEqual([
        "delivery.bounced",
        "delivery.delivered",
      ]);
    }),
  );

  it.effect("a report for an unknown message id, or a delivery not sent, records nothing", () =>
    Effect.gen(function* () {
      const unknown = world();
      expect(yield* unknown.report({ ...delivered, messageId: "other" })).toEqual({ _tag: "Unknown" });
      const notSent = world("queued");
      expect((yield* notSent.report(delivered))._tag).toBe("Ignored");
      expect([...unknown.events, ...notSent.events]).toEqual([]);
      expect(notSent.calls).toEqual(["begin", "commit"]);
    }),
  );
});

import { Effect } from "effect";
import { emit } from "../events/Events.ts";
import type { DeliveryBounce, DeliveryStatus } from "../invites/Invite.ts";
import { Transactor } from "../shared/Transactor.ts";
import { deliveryEvents } from "./Deliveries.ts";
import { DeliveryReportRepository, type ReportedDelivery } from "./DeliveryReportRepository.ts";

/** What a provider reports about a message it accepted. */
export type DeliveryReport =
  | { readonly kind: "delivered"; readonly messageId: string; readonly at: Date }
  | { readonly kind: "bounced"; readonly messageId: string; readonly at: Date; readonly bounce: DeliveryBounce }
  | { readonly kind: "complained"; readonly messageId: string; readonly at: Date };

export type ReportOutcome =
  /** The delivery moved to `status`. */
  | { readonly _tag: "Applied"; readonly deliveryId: string; readonly status: DeliveryStatus }
  /** No delivery was sent under that message id (another system's message, or one not recorded yet). */
  | { readonly _tag: "Unknown" }
  /** A duplicate, or a report that a later state already outranks: nothing changes. */
  | { readonly _tag: "Ignored"; readonly deliveryId: string; readonly status: DeliveryStatus };

/**
 * How final each state is. Reports arrive at least once and in any order, so a report only ever
 * moves a delivery up this scale: a temporary bounce can still be followed by delivery; a delivery
 * can still bounce later (a mailbox that accepts, then bounces); a permanent bounce is never undone
 * by a late delivery report; a spam complaint outranks everything. Equal ranks are duplicates.
 */
const rank = (status: DeliveryStatus, bouncePermanent: boolean | null): number => {
  switch (status) {
    case "queued":
    case "failed":
      return -1;
    case "sent":
      return 1;
    case "bounced":
      return bouncePermanent ? 4 : 2;
    case "delivered":
      return 3;
    case "complained":
      return 5;
  }
};

const reportRank = (report: DeliveryReport): number =>
  report.kind === "bounced" ? rank("bounced", report.bounce.permanent) : rank(report.kind, null);

/** Whether `report` changes a delivery now in `current`: never for one that was not sent. */
export const reportApplies = (
  current: Pick<ReportedDelivery, "status" | "bouncePermanent">,
  report: DeliveryReport,
) => {
  const now = rank(current.status, current.bouncePermanent);
  return now >= 1 && reportRank(report) > now;
};

/** The bounce a spam complaint is told as in `delivery.bounced`: the address must not be mailed again. */
export const SPAM_COMPLAINT_BOUNCE: DeliveryBounce = {
  type: "SpamComplaint",
  description: "The recipient marked the message as spam.",
  permanent: true,
};

/**
 * The event a report that moved a delivery records: `delivery.delivered`, or `delivery.bounced`
 * (a spam complaint too, with the bounce type `SpamComplaint`), one per organization of its invites.
 */
const reportEvents = (delivery: ReportedDelivery, report: DeliveryReport) =>
  report.kind === "delivered"
    ? deliveryEvents("delivery.delivered", delivery, { status: "delivered", at: report.at.toISOString() })
    : deliveryEvents("delivery.bounced", delivery, {
        status: report.kind,
        at: report.at.toISOString(),
        bounce: report.kind === "bounced" ? report.bounce : SPAM_COMPLAINT_BOUNCE,
      });

/**
 * Records one provider report on the delivery it names, if it moves that delivery forward, with
 * its event in the same transaction. A duplicate or a report a later state outranks changes
 * nothing and records no event.
 */
export const recordDeliveryReport = Effect.fn("Deliveries.report")(function* (report: DeliveryReport) {
  const reports = yield* DeliveryReportRepository;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const delivery = yield* reports.findByMessageId(report.messageId);
      if (delivery === null) return { _tag: "Unknown" } satisfies ReportOutcome as ReportOutcome;
      if (!reportApplies(delivery, report)) {
        return { _tag: "Ignored", deliveryId: delivery.id, status: delivery.status } as ReportOutcome;
      }
      yield* reports.record(delivery.id, {
        status: report.kind,
        at: report.at,
        bounce: report.kind === "bounced" ? report.bounce : null,
      });
      yield* emit(reportEvents(delivery, report));
      return { _tag: "Applied", deliveryId: delivery.id, status: report.kind } as ReportOutcome;
    }),
  );
});

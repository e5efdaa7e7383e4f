import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";
import type { DeliveryBounce, DeliveryStatus } from "../invites/Invite.ts";

/** A sent delivery as the provider's reports see it. */
export interface ReportedDelivery {
  readonly id: string;
  readonly email: string;
  readonly kind: "invite" | "resend";
  /** The organizations of the invites it carries (null for a group's): each hears of the report. */
  readonly organizationIds: ReadonlyArray<string | null>;
  readonly status: DeliveryStatus;
  /** Whether the bounce it holds (if `bounced`) was permanent. */
  readonly bouncePermanent: boolean | null;
}

/** The state a report moves a delivery to. */
export interface ReportedState {
  readonly status: "delivered" | "bounced" | "complained";
  /** When the provider says it happened. */
  readonly at: Date;
  /** Kept with `bounced`; a complaint after a bounce keeps the bounce. */
  readonly bounce: DeliveryBounce | null;
}

/** Where the provider's reports are recorded. Both methods run in the caller's transaction. */
export class DeliveryReportRepository extends Context.Service<
  DeliveryReportRepository,
  {
    /** The delivery the provider accepted under this message id, locked until the transaction ends. */
    findByMessageId(messageId: string): Effect.Effect<ReportedDelivery | null, RepositoryError>;
    record(deliveryId: string, state: ReportedState): Effect.Effect<void, RepositoryError>;
  }
>()("@admit/domain/DeliveryReportRepository") {}

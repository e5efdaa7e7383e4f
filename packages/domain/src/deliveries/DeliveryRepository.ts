import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";
import type { DeliveryStatus } from "../invites/Invite.ts";
import type { ResolvedTarget } from "../targets/Target.ts";

export interface NewDelivery {
  readonly id: string;
  readonly email: string;
  /** Handed over for the mailer only: stored sealed, and wiped once sent. Lookups use the hash. */
  readonly token: string;
  readonly tokenHash: string;
  readonly inviterName: string;
  readonly kind: "invite" | "resend";
  /** Not before this time: the recipient had an email for the same invite less than a minute ago. */
  readonly startAfter?: Date | undefined;
}

/** The delivery a pending invite points at, as far as choosing the next one needs. */
export interface CurrentDelivery {
  readonly target: ResolvedTarget;
  readonly deliveryId: string;
  readonly status: DeliveryStatus;
  readonly sentAt: Date | null;
}

export class DeliveryRepository extends Context.Service<
  DeliveryRepository,
  {
    /** Records a queued email; the worker picks it up once the transaction commits. */
    enqueue(delivery: NewDelivery): Effect.Effect<void, RepositoryError>;
    /**
     * How many resends went to this recipient since `since`. Inside a transaction it first takes a
     * lock on the recipient, so that concurrent resends are counted one after the other.
     */
    countResends(email: string, since: Date): Effect.Effect<number, RepositoryError>;
    /**
     * The deliveries of the pending invites of `email` to these targets. Inside a transaction it
     * first takes a lock on the recipient, so that concurrent invites to one person are decided one
     * after the other, each seeing what the previous one committed.
     */
    current(
      email: string,
      targets: ReadonlyArray<ResolvedTarget>,
    ): Effect.Effect<ReadonlyArray<CurrentDelivery>, RepositoryError>;
  }
>()("@admit/domain/DeliveryRepository") {}

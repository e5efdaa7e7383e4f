import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";

export interface NewDelivery {
  readonly id: string;
  readonly email: string;
  /** Handed over for the mailer only: stored sealed, and wiped once sent. Lookups use the hash. */
  readonly token: string;
  readonly tokenHash: string;
  readonly inviterName: string;
  readonly kind: "invite" | "resend";
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
  }
>()("@admit/domain/DeliveryRepository") {}

import { Context, type Effect } from "effect";
import type { RepositoryError } from "../Errors.ts";

export interface NewDelivery {
  readonly id: string;
  readonly email: string;
  readonly tokenHash: string;
  readonly inviterName: string;
}

export class DeliveryRepository extends Context.Service<
  DeliveryRepository,
  {
    /** Records a queued email; the worker picks it up once the transaction commits. */
    enqueue(delivery: NewDelivery): Effect.Effect<void, RepositoryError>;
  }
>()("@admit/domain/DeliveryRepository") {}

import { RepositoryError } from "@admit/domain";
import { Context, Effect, Layer } from "effect";
import type { RawBuilder } from "kysely";
import type { PgBoss } from "pg-boss";
import {
  type DeliveryJobInsert,
  type DeliveryQueue,
  deliveryJobInsert,
  deliveryQueue,
  sendDeliveryJob,
  startDeliveryProducer,
} from "../queue.ts";
import { CurrentEntityManager, Database } from "../sql.ts";

/**
 * Queues a delivery's job in the current transaction (it exists exactly when the transaction that
 * writes the delivery commits): `send` through pg-boss's own `send`, one statement; `insert` as
 * pg-boss's own insert, to run as part of a statement of the caller (see `deliveryJobInsert`).
 */
export class DeliveryJobs extends Context.Service<
  DeliveryJobs,
  {
    send(deliveryId: string, startAfter?: Date): Effect.Effect<void, RepositoryError>;
    insert(
      deliveryId: string,
      startAfter?: Date,
    ): Effect.Effect<DeliveryJobInsert<RawBuilder<unknown>>, RepositoryError>;
  }
>()("@admit/db/DeliveryJobs") {}

/**
 * The queue client starts with the first email invite, so that a process that never enqueues (or a
 * database without the queue yet) pays nothing for it; it stops with the layer.
 */
export const DeliveryJobsPgBoss = Layer.effect(
  DeliveryJobs,
  Effect.gen(function* () {
    const { orm } = yield* Database;
    let producer: Promise<PgBoss> | undefined;
    /** The delivery queue, once looked up (it does not change while the process runs). */
    let known: DeliveryQueue | undefined;
    const queue = Effect.tryPromise({
      try: () => {
        producer ??= startDeliveryProducer(orm).catch((error: unknown) => {
          producer = undefined;
          throw error;
        });
        return producer;
      },
      catch: (cause) => new RepositoryError({ cause }),
    });
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        const boss = await producer?.catch(() => undefined);
        await boss?.stop({ graceful: false, close: true });
      }),
    );
    return DeliveryJobs.of({
      // Once the queue is known, the job's parts are built without waiting (two fewer suspensions
      // of the request's fiber).
      insert: (deliveryId, startAfter) => {
        const build = (queue: DeliveryQueue) =>
          Effect.try({
            try: () => deliveryJobInsert(queue, deliveryId, startAfter),
            catch: (cause) => new RepositoryError({ cause }),
          });
        if (known !== undefined) return build(known);
        return Effect.flatMap(queue, (boss) =>
          Effect.flatMap(
            Effect.tryPromise({
              try: () => deliveryQueue(boss),
              catch: (cause) => new RepositoryError({ cause }),
            }),
            (found) => {
              known = found;
              return build(found);
            },
          ),
        );
      },
      send: (deliveryId, startAfter) =>
        Effect.gen(function* () {
          const em = yield* CurrentEntityManager;
          if (em === null) {
            return yield* new RepositoryError({
              cause: new Error("a delivery job must be sent inside the transaction that writes the delivery"),
            });
          }
          const boss = yield* queue;
          yield* Effect.tryPromise({
            try: () => sendDeliveryJob(boss, em, deliveryId, startAfter),
            catch: (cause) => new RepositoryError({ cause }),
          });
        }),
    });
  }),
);

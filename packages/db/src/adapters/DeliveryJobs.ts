import { RepositoryError } from "@admit/domain";
import { Context, Effect, Layer } from "effect";
import type { RawBuilder } from "kysely";
import type { PgBoss } from "pg-boss";
import { type DeliveryJobInsert, deliveryJobInsert, sendDeliveryJob, startDeliveryProducer } from "../queue.ts";
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
      insert: (deliveryId, startAfter) =>
        Effect.flatMap(queue, (boss) =>
          Effect.tryPromise({
            try: () => deliveryJobInsert(boss, deliveryId, startAfter),
            catch: (cause) => new RepositoryError({ cause }),
          }),
        ),
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

import { DeliveryRepository, RepositoryError } from "@admit/domain";
import { Effect, Layer } from "effect";
import type { PgBoss } from "pg-boss";
import { sendDeliveryJob, startDeliveryProducer } from "../queue.ts";
import { CurrentEntityManager, Database, makeQuery, withTransaction } from "../sql.ts";

export const DeliveryRepositoryMikro = Layer.effect(
  DeliveryRepository,
  Effect.gen(function* () {
    const { orm, sealer } = yield* Database;
    const query = makeQuery(orm);
    // The queue client starts with the first email invite, so that a process that never enqueues
    // (or a database without the queue yet) pays nothing for it; it stops with the layer.
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
    return DeliveryRepository.of({
      // The delivery row and its job are written in one transaction: both exist, or neither.
      enqueue: (d) =>
        withTransaction(orm)(
          Effect.gen(function* () {
            yield* query(
              `insert into deliveries (id, email, token_hash, token_sealed, inviter_name, kind)
               values (?, ?, decode(?, 'hex'), ?, ?, ?)`,
              [d.id, d.email, d.tokenHash, sealer.seal(d.token), d.inviterName, d.kind],
            );
            const boss = yield* queue;
            const em = (yield* CurrentEntityManager)!;
            yield* Effect.tryPromise({
              try: () => sendDeliveryJob(boss, em, d.id),
              catch: (cause) => new RepositoryError({ cause }),
            });
          }),
        ),
      // The advisory lock (held to the end of the transaction) serializes resends to one recipient;
      // the count is a separate statement so that its snapshot sees what the previous holder committed.
      countResends: (email, since) =>
        query("select pg_advisory_xact_lock(hashtext('resend:' || ?::text))", [email]).pipe(
          Effect.andThen(
            query(
              "select count(*) as n from deliveries where email = ? and kind = 'resend' and created_at > ?::timestamptz",
              [email, since.toISOString()],
            ),
          ),
          Effect.map(([row]) => Number(row?.n ?? 0)),
        ),
    });
  }),
);

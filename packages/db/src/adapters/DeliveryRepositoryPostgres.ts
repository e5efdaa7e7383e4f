import { DeliveryRepository, recipientLock } from "@admit/domain";
import { Effect, Layer } from "effect";
import { sql } from "kysely";
import { lockOf } from "../heldTransaction.ts";
import { hexBytes, makeRun, texts } from "../kysely.ts";
import { Database, withTransaction } from "../sql.ts";
import { DeliveryJobs } from "./DeliveryJobs.ts";

export const DeliveryRepositoryPostgres = Layer.effect(
  DeliveryRepository,
  Effect.gen(function* () {
    const { orm, sealer } = yield* Database;
    const run = makeRun(orm);
    const jobs = yield* DeliveryJobs;
    return DeliveryRepository.of({
      // The delivery row and its job are written in one transaction: both exist, or neither.
      enqueue: (d) =>
        withTransaction(orm)(
          run((db) =>
            db
              .insertInto("deliveries")
              .values({
                id: d.id,
                email: d.email,
                token_hash: hexBytes(d.tokenHash),
                token_sealed: sealer.seal(d.token),
                inviter_name: d.inviterName,
                kind: d.kind,
              })
              .execute(),
          ).pipe(Effect.andThen(jobs.send(d.id, d.startAfter))),
        ),
      // The advisory lock (held to the end of the transaction) serializes resends to one recipient;
      // the count is a separate statement so that its snapshot sees what the previous holder committed.
      // The recipient's advisory lock (held to the end of the transaction), the one email invites
      // are serialized on; the read is a separate statement so that its snapshot sees what the
      // previous holder committed.
      current: (email, targets) =>
        run((db) => sql`select ${sql.raw(lockOf(recipientLock(email)))}`.execute(db)).pipe(
          Effect.andThen(
            run((db) =>
              db
                .selectFrom("invites as i")
                .innerJoin("deliveries as d", "d.id", "i.delivery_id")
                .select([
                  "i.target_type as type",
                  "i.target_id as id",
                  "d.id as deliveryId",
                  "d.status",
                  "d.sent_at as sentAt",
                ])
                .where("i.email", "=", email)
                .where("i.status", "=", "pending")
                .where((eb) =>
                  eb(
                    sql<string>`${eb.ref("i.target_type")} || ':' || ${eb.ref("i.target_id")}`,
                    "=",
                    eb.fn.any(texts(targets.map((t) => `${t.type}:${t.id}`))),
                  ),
                )
                .execute(),
            ),
          ),
          Effect.map((rows) =>
            rows.flatMap((r) => {
              const target = targets.find((t) => t.type === r.type && t.id === r.id);
              return target === undefined
                ? []
                : [{ target, deliveryId: r.deliveryId, status: r.status, sentAt: r.sentAt }];
            }),
          ),
        ),
      countResends: (email, since) =>
        run((db) => sql`select pg_advisory_xact_lock(hashtext(${`resend:${email}`}))`.execute(db)).pipe(
          Effect.andThen(
            run((db) =>
              db
                .selectFrom("deliveries")
                .select((eb) => eb.fn.countAll<string>().as("n"))
                .where("email", "=", email)
                .where("kind", "=", "resend")
                .where("created_at", ">=", since)
                .executeTakeFirstOrThrow(),
            ),
          ),
          Effect.map((row) => Number(row.n)),
        ),
    });
  }),
);

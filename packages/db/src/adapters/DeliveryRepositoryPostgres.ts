import { DeliveryRepository, type DeliveryStatus, recipientLock } from "@admit/domain";
import { Effect, Layer } from "effect";
import { lockOf } from "../heldTransaction.ts";
import { Database, date, makeQuery, pgArray, withTransaction } from "../sql.ts";
import { DeliveryJobs } from "./DeliveryJobs.ts";

export const DeliveryRepositoryPostgres = Layer.effect(
  DeliveryRepository,
  Effect.gen(function* () {
    const { orm, sealer } = yield* Database;
    const query = makeQuery(orm);
    const jobs = yield* DeliveryJobs;
    return DeliveryRepository.of({
      // The delivery row and its job are written in one transaction: both exist, or neither.
      enqueue: (d) =>
        withTransaction(orm)(
          query(
            `insert into deliveries (id, email, token_hash, token_sealed, inviter_name, kind)
             values (?, ?, decode(?, 'hex'), ?, ?, ?)`,
            [d.id, d.email, d.tokenHash, sealer.seal(d.token), d.inviterName, d.kind],
          ).pipe(Effect.andThen(jobs.send(d.id, d.startAfter))),
        ),
      // The advisory lock (held to the end of the transaction) serializes resends to one recipient;
      // the count is a separate statement so that its snapshot sees what the previous holder committed.
      // The recipient's advisory lock (held to the end of the transaction), the one email invites
      // are serialized on; the read is a separate statement so that its snapshot sees what the
      // previous holder committed.
      current: (email, targets) =>
        query(`select ${lockOf(recipientLock(email))}`).pipe(
          Effect.andThen(
            query(
              `select i.target_type as "type", i.target_id as "id", d.id as "deliveryId", d.status, d.sent_at as "sentAt"
               from invites i join deliveries d on d.id = i.delivery_id
               where i.email = ? and i.status = 'pending'
                 and i.target_type || ':' || i.target_id = any(?::text[])`,
              [email, pgArray(targets.map((t) => `${t.type}:${t.id}`))],
            ),
          ),
          Effect.map((rows) =>
            rows.flatMap((r) => {
              const target = targets.find((t) => t.type === r.type && t.id === String(r.id));
              return target === undefined
                ? []
                : [
                    {
                      target,
                      deliveryId: String(r.deliveryId),
                      status: r.status as DeliveryStatus,
                      sentAt: r.sentAt === null ? null : date(r.sentAt),
                    },
                  ];
            }),
          ),
        ),
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

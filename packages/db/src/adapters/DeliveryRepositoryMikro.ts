import { DeliveryRepository } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, makeQuery } from "../sql.ts";

export const DeliveryRepositoryMikro = Layer.effect(
  DeliveryRepository,
  Effect.gen(function* () {
    const { orm, sealer } = yield* Database;
    const query = makeQuery(orm);
    return DeliveryRepository.of({
      enqueue: (d) =>
        query(
          `insert into deliveries (id, email, token_hash, token_sealed, inviter_name, kind)
           values (?, ?, decode(?, 'hex'), ?, ?, ?)`,
          [d.id, d.email, d.tokenHash, sealer.seal(d.token), d.inviterName, d.kind],
        ).pipe(Effect.asVoid),
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

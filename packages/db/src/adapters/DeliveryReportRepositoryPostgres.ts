import { DeliveryReportRepository, type DeliveryStatus } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, makeQuery } from "../sql.ts";

export const DeliveryReportRepositoryPostgres = Layer.effect(
  DeliveryReportRepository,
  Effect.gen(function* () {
    const query = makeQuery((yield* Database).orm);
    return DeliveryReportRepository.of({
      // The unique index on provider_message_id finds it; the lock serializes concurrent reports.
      findByMessageId: (messageId) =>
        query(
          `select id, email, kind, status, bounce_permanent as "bouncePermanent",
                  (select coalesce(json_agg(distinct organization_id), '[]'::json) from invites
                   where delivery_id = d.id) as "organizationIds"
           from deliveries d where provider_message_id = ? for update`,
          [messageId],
        ).pipe(
          Effect.map(([row]) =>
            row
              ? {
                  id: String(row.id),
                  email: String(row.email),
                  kind: row.kind === "resend" ? ("resend" as const) : ("invite" as const),
                  organizationIds: (Array.isArray(row.organizationIds) ? row.organizationIds : []).map((o: unknown) =>
                    o === null ? null : String(o),
                  ),
                  status: row.status as DeliveryStatus,
                  bouncePermanent: row.bouncePermanent === null ? null : Boolean(row.bouncePermanent),
                }
              : null,
          ),
        ),
      // A state without a bounce (a complaint) keeps the bounce already recorded.
      record: (deliveryId, state) =>
        query(
          `update deliveries set status = ?, reported_at = ?::timestamptz,
             bounce_type = coalesce(?, bounce_type), bounce_description = coalesce(?, bounce_description),
             bounce_permanent = coalesce(?::boolean, bounce_permanent)
           where id = ?::uuid`,
          [
            state.status,
            state.at.toISOString(),
            state.bounce?.type.slice(0, 100) ?? null,
            state.bounce?.description.slice(0, 1000) ?? null,
            state.bounce === null ? null : state.bounce.permanent,
            deliveryId,
          ],
        ).pipe(Effect.asVoid),
    });
  }),
);

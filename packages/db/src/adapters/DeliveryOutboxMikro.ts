import {
  type ClaimedDelivery,
  DeliveryOutbox,
  type InvitedTarget,
  RepositoryError,
  type Role,
  TARGET_TYPES,
  type TargetType,
} from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, date, makeQuery } from "../sql.ts";
import { TARGET_TABLES, unownedTypes } from "./targets.ts";

// Pending, unexpired invites of one delivery with the names an email shows: one join per kind of
// target. Unowned kinds (groups) show no organization; otherwise it is the invite's organization.
const targetName = `coalesce(${TARGET_TYPES.map((t) => `t_${t}.name`).join(", ")})`;
const TARGETS = `select i.target_type as "type", i.target_id as "id", i.role, i.expires_at as "expiresAt",
    ${targetName} as "name",
    case when i.target_type in (${unownedTypes()}) then null else io.name end as "organizationName"
  from invites i
  ${TARGET_TYPES.map((t) => `left join ${TARGET_TABLES[t]} t_${t} on i.target_type = '${t}' and t_${t}.id = i.target_id`).join("\n  ")}
  left join organizations io on io.id = i.organization_id
  where i.delivery_id = ?::uuid and i.status = 'pending' and i.expires_at > now()
  order by i.target_type, ${targetName}, i.id`;

export const DeliveryOutboxMikro = Layer.effect(
  DeliveryOutbox,
  Effect.gen(function* () {
    const { orm, sealer } = yield* Database;
    const query = makeQuery(orm);
    return DeliveryOutbox.of({
      claim: (deliveryId) =>
        Effect.gen(function* () {
          const [row] = yield* query(
            `select id, email, status, token_sealed as "tokenSealed", inviter_name as "inviterName", kind, attempts,
                    exists (select 1 from invites where delivery_id = d.id) as "referenced",
                    (select coalesce(json_agg(distinct organization_id), '[]'::json) from invites
                     where delivery_id = d.id) as "organizationIds"
             from deliveries d where id = ?::uuid for update`,
            [deliveryId],
          );
          if (row === undefined) return { _tag: "Missing" } satisfies ClaimedDelivery;
          if (row.status !== "queued") {
            return { _tag: "Settled", status: row.status as "sent" | "failed" } satisfies ClaimedDelivery;
          }
          const targets = yield* query(TARGETS, [deliveryId]);
          // A token that does not open means the worker's TOKEN_ENCRYPTION_KEY is not the API's: a
          // configuration error to retry after, never a reason to drop the email.
          const token =
            row.tokenSealed === null
              ? null
              : yield* Effect.try({
                  try: () => sealer.open(String(row.tokenSealed)),
                  catch: (cause) =>
                    new RepositoryError({
                      cause: new Error("a sealed token did not open: is TOKEN_ENCRYPTION_KEY the API's?", { cause }),
                    }),
                });
          return {
            _tag: "Queued",
            delivery: {
              id: String(row.id),
              email: String(row.email),
              token,
              inviterName: String(row.inviterName ?? ""),
              kind: row.kind === "resend" ? "resend" : "invite",
              attempts: Number(row.attempts),
              referenced: Boolean(row.referenced),
              organizationIds: (Array.isArray(row.organizationIds) ? row.organizationIds : []).map((o: unknown) =>
                o === null ? null : String(o),
              ),
              targets: targets.map(
                (t): InvitedTarget => ({
                  type: t.type as TargetType,
                  id: String(t.id),
                  name: String(t.name ?? ""),
                  organizationName: t.organizationName === null ? null : String(t.organizationName),
                  role: t.role as Role,
                  expiresAt: date(t.expiresAt),
                }),
              ),
            },
          } satisfies ClaimedDelivery;
        }),
      markSent: (deliveryId) =>
        query(
          `update deliveries set status = 'sent', sent_at = now(), token_sealed = null, attempts = attempts + 1,
             last_error = null where id = ?::uuid and status = 'queued'`,
          [deliveryId],
        ).pipe(Effect.asVoid),
      markFailed: (deliveryId, reason) =>
        query(
          `update deliveries set status = 'failed', token_sealed = null, attempts = attempts + 1, last_error = ?
           where id = ?::uuid and status = 'queued'`,
          [reason.slice(0, 1000), deliveryId],
        ).pipe(Effect.asVoid),
      recordAttempt: (deliveryId, reason) =>
        query(
          "update deliveries set attempts = attempts + 1, last_error = ? where id = ?::uuid and status = 'queued'",
          [reason.slice(0, 1000), deliveryId],
        ).pipe(Effect.asVoid),
      giveUp: (deliveryId) =>
        query(
          `update deliveries set status = 'failed', token_sealed = null,
             last_error = 'retries_exhausted: ' || coalesce(last_error, 'the worker could not process it (see its log)')
           where id = ?::uuid and status = 'queued' returning id`,
          [deliveryId],
        ).pipe(Effect.map((rows) => rows.length > 0)),
    });
  }),
);

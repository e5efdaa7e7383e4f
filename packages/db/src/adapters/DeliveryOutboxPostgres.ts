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
import { Database, date, makeQuery, pgArray } from "../sql.ts";
import { TARGET_TABLES, unownedTypes } from "./targets.ts";

// Pending, unexpired invites of some deliveries with the names an email shows: one join per kind of
// target. Unowned kinds (groups) show no organization; otherwise it is the invite's organization.
const targetName = `coalesce(${TARGET_TYPES.map((t) => `t_${t}.name`).join(", ")})`;
const TARGETS = `select i.delivery_id as "deliveryId", i.target_type as "type", i.target_id as "id", i.role, i.expires_at as "expiresAt",
    ${targetName} as "name",
    case when i.target_type in (${unownedTypes()}) then null else io.name end as "organizationName"
  from invites i
  ${TARGET_TYPES.map((t) => `left join ${TARGET_TABLES[t]} t_${t} on i.target_type = '${t}' and t_${t}.id = i.target_id`).join("\n  ")}
  left join organizations io on io.id = i.organization_id
  where i.delivery_id = any(?::uuid[]) and i.status = 'pending' and i.expires_at > now()
  order by i.target_type, ${targetName}, i.id`;

// Who the email is to and on whose behalf: the recipient's first name, the invite's language (else
// its organization's), and the branding of the organization the invites belong to.
const ABOUT = `select i.delivery_id as "deliveryId",
    (array_agg(i.first_name order by i.created_at) filter (where i.first_name is not null))[1] as "firstName",
    coalesce((array_agg(i.locale order by i.created_at) filter (where i.locale is not null))[1],
             (array_agg(o.locale order by i.created_at) filter (where o.locale is not null))[1]) as "locale",
    (array_agg(coalesce(o.display_name, o.name) order by i.created_at) filter (where o.id is not null))[1] as "brandName",
    (array_agg(o.logo_url order by i.created_at) filter (where o.id is not null))[1] as "logoUrl",
    (array_agg(o.primary_color order by i.created_at) filter (where o.id is not null))[1] as "primaryColor",
    (array_agg(o.support_email order by i.created_at) filter (where o.id is not null))[1] as "supportEmail"
  from invites i left join organizations o on o.id = i.organization_id
  where i.delivery_id = any(?::uuid[]) and i.status = 'pending'
  group by i.delivery_id`;

export const DeliveryOutboxPostgres = Layer.effect(
  DeliveryOutbox,
  Effect.gen(function* () {
    const { orm, sealer } = yield* Database;
    const query = makeQuery(orm);
    return DeliveryOutbox.of({
      // Rows are locked in id order, so two workers claiming overlapping batches never deadlock.
      claim: (deliveryIds) =>
        Effect.gen(function* () {
          const claims = new Map<string, ClaimedDelivery>();
          if (deliveryIds.length === 0) return claims;
          const rows = yield* query(
            `select id, email, status, token_sealed as "tokenSealed", inviter_name as "inviterName", kind, attempts,
                    exists (select 1 from invites where delivery_id = d.id) as "referenced",
                    (select coalesce(json_agg(distinct organization_id), '[]'::json) from invites
                     where delivery_id = d.id) as "organizationIds"
             from deliveries d where id = any(?::uuid[]) order by id for update`,
            [pgArray(deliveryIds)],
          );
          const queued = rows.filter((r) => r.status === "queued");
          const targets = new Map<string, InvitedTarget[]>();
          const abouts = new Map<string, Record<string, unknown>>();
          if (queued.length > 0) {
            const queuedIds = pgArray(queued.map((r) => String(r.id)));
            for (const about of yield* query(ABOUT, [queuedIds])) abouts.set(String(about.deliveryId), about);
            for (const t of yield* query(TARGETS, [queuedIds])) {
              const list = targets.get(String(t.deliveryId)) ?? [];
              list.push({
                type: t.type as TargetType,
                id: String(t.id),
                name: String(t.name ?? ""),
                organizationName: t.organizationName === null ? null : String(t.organizationName),
                role: t.role as Role,
                expiresAt: date(t.expiresAt),
              });
              targets.set(String(t.deliveryId), list);
            }
          }
          for (const row of rows) {
            const id = String(row.id);
            if (row.status !== "queued") {
              // Reported states come after sending: for the worker they are all "sent".
              claims.set(id, { _tag: "Settled", status: row.status === "failed" ? "failed" : "sent" });
              continue;
            }
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
            const about = abouts.get(id);
            claims.set(id, {
              _tag: "Queued",
              delivery: {
                id,
                email: String(row.email),
                token,
                inviterName: String(row.inviterName ?? ""),
                kind: row.kind === "resend" ? "resend" : "invite",
                attempts: Number(row.attempts),
                referenced: Boolean(row.referenced),
                firstName: about?.firstName == null ? null : String(about.firstName),
                locale: about?.locale == null ? null : String(about.locale),
                brand:
                  about?.brandName == null
                    ? null
                    : {
                        name: String(about.brandName),
                        logoUrl: about.logoUrl == null ? null : String(about.logoUrl),
                        primaryColor: about.primaryColor == null ? null : String(about.primaryColor),
                        supportEmail: about.supportEmail == null ? null : String(about.supportEmail),
                      },
                organizationIds: (Array.isArray(row.organizationIds) ? row.organizationIds : []).map((o: unknown) =>
                  o === null ? null : String(o),
                ),
                targets: targets.get(id) ?? [],
              },
            });
          }
          for (const id of deliveryIds) if (!claims.has(id)) claims.set(id, { _tag: "Missing" });
          return claims;
        }),
      // One statement for the whole batch: each row's new state comes from its record.
      record: (records) =>
        records.length === 0
          ? Effect.void
          : query(
              `update deliveries d set
                 status = case r.tag when 'Sent' then 'sent' when 'Failed' then 'failed' else d.status end,
                 sent_at = case when r.tag = 'Sent' then now() else d.sent_at end,
                 provider_message_id = case when r.tag = 'Sent' then r.message_id else d.provider_message_id end,
                 token_sealed = case when r.tag = 'Attempted' then d.token_sealed else null end,
                 attempts = d.attempts + 1,
                 last_error = case when r.tag = 'Sent' then null else r.reason end
               from unnest(?::uuid[], ?::text[], ?::text[], ?::text[]) as r(id, tag, message_id, reason)
               where d.id = r.id and d.status = 'queued'`,
              [
                pgArray(records.map((r) => r.id)),
                pgArray(records.map((r) => r._tag)),
                pgArray(records.map((r) => (r._tag === "Sent" ? r.messageId : null))),
                pgArray(records.map((r) => (r._tag === "Sent" ? null : r.reason.slice(0, 1000)))),
              ],
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

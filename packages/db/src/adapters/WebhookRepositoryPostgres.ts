import { randomBytes } from "node:crypto";
import { type EventType, type WebhookAttempt, type WebhookEndpoint, WebhookRepository } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, date, makeQuery, pgArray, type Row } from "../sql.ts";
import { keyset, toPage } from "./paging.ts";

/** A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes (256 bits). */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString("base64")}`;

export const ENDPOINT_COLUMNS = `id, organization_id as "organizationId", url, event_types as "eventTypes", description,
  enabled, disabled_reason as "disabledReason", created_at as "createdAt", updated_at as "updatedAt"`;

const textArray = (v: unknown): string[] => {
  if (Array.isArray(v)) return v.map(String);
  const s = String(v ?? "{}");
  return s === "{}"
    ? []
    : s
        .slice(1, -1)
        .split(",")
        .map((x) => x.replace(/^"|"$/g, ""));
};

export const endpoint = (r: Row): WebhookEndpoint => ({
  id: String(r.id),
  organizationId: r.organizationId === null ? null : String(r.organizationId),
  url: String(r.url),
  eventTypes: textArray(r.eventTypes) as EventType[],
  description: r.description === null ? null : String(r.description),
  enabled: Boolean(r.enabled),
  disabledReason: r.disabledReason === null ? null : String(r.disabledReason),
  createdAt: date(r.createdAt),
  updatedAt: date(r.updatedAt),
});

const attempt = (r: Row): WebhookAttempt => ({
  id: String(r.id),
  eventId: String(r.eventId),
  eventType: String(r.eventType),
  attempt: Number(r.attempt),
  statusCode: r.statusCode === null ? null : Number(r.statusCode),
  error: r.error === null ? null : String(r.error),
  durationMs: Number(r.durationMs),
  createdAt: date(r.createdAt),
});

export const WebhookRepositoryPostgres = Layer.effect(
  WebhookRepository,
  Effect.gen(function* () {
    const { orm, sealer } = yield* Database;
    const query = makeQuery(orm);
    const one = (rows: ReadonlyArray<Row>) => (rows[0] ? endpoint(rows[0]) : null);
    return WebhookRepository.of({
      create: (e) =>
        Effect.suspend(() => {
          const secret = newWebhookSecret();
          return query(
            `insert into webhook_endpoints (id, organization_id, url, event_types, description, secret_sealed)
             values (?::uuid, ?::uuid, ?, ?::text[], ?, ?) returning ${ENDPOINT_COLUMNS}`,
            [e.id, e.organizationId, e.url, pgArray(e.eventTypes), e.description, sealer.seal(secret)],
          ).pipe(Effect.map((rows) => ({ endpoint: endpoint(rows[0] as Row), secret })));
        }),
      get: (id) =>
        query(`select ${ENDPOINT_COLUMNS} from webhook_endpoints where id = ?::uuid`, [id]).pipe(Effect.map(one)),
      list: (organizationId, page) => {
        const k = keyset(page);
        return query(
          `select ${ENDPOINT_COLUMNS} from webhook_endpoints
           where (?::uuid is null or organization_id = ?::uuid) and ${k.where} ${k.order}`,
          [organizationId, organizationId, ...k.params],
        ).pipe(Effect.map((rows) => toPage(rows, page, endpoint)));
      },
      update: (id, c) =>
        query(
          `update webhook_endpoints set
             url = coalesce(?::text, url),
             event_types = coalesce(?::text[], event_types),
             description = case when ?::boolean then ?::text else description end,
             enabled = coalesce(?::boolean, enabled),
             disabled_reason = case when coalesce(?::boolean, enabled) then null else coalesce(?::text, disabled_reason) end,
             failing_since = case when ?::boolean then null else failing_since end,
             updated_at = now()
           where id = ?::uuid returning ${ENDPOINT_COLUMNS}`,
          [
            c.url ?? null,
            c.eventTypes === undefined ? null : pgArray(c.eventTypes),
            c.description !== undefined,
            c.description ?? null,
            c.enabled ?? null,
            c.enabled ?? null,
            c.disabledReason ?? null,
            // Enabling an endpoint again starts its failure clock afresh.
            c.enabled === true,
            id,
          ],
        ).pipe(Effect.map(one)),
      delete: (id) =>
        query("delete from webhook_endpoints where id = ?::uuid returning id", [id]).pipe(
          Effect.map((rows) => rows.length > 0),
        ),
      rotateSecret: (id, previousUntil) =>
        Effect.suspend(() => {
          const secret = newWebhookSecret();
          return query(
            `update webhook_endpoints set previous_secret_sealed = secret_sealed, secret_sealed = ?,
               previous_secret_expires_at = ?::timestamptz, updated_at = now()
             where id = ?::uuid returning id`,
            [sealer.seal(secret), previousUntil.toISOString(), id],
          ).pipe(Effect.map((rows) => (rows.length > 0 ? secret : null)));
        }),
      attempts: (webhookId, page) => {
        const k = keyset(page);
        return query(
          `select id, event_id as "eventId", event_type as "eventType", attempt, status_code as "statusCode", error,
                  duration_ms as "durationMs", created_at as "createdAt"
           from webhook_attempts where webhook_id = ?::uuid and ${k.where} ${k.order}`,
          [webhookId, ...k.params],
        ).pipe(Effect.map((rows) => toPage(rows, page, attempt)));
      },
    });
  }),
);

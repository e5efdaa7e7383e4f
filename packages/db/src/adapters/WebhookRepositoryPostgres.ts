import { randomBytes } from "node:crypto";
import { WebhookRepository } from "@admit/domain";
import { Effect, Layer } from "effect";
import { sql } from "kysely";
import { makeRun } from "../kysely.ts";
import { Database } from "../sql.ts";
import { keysetPage, toPage } from "./paging.ts";

/** A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes (256 bits). */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString("base64")}`;

/** The columns a `WebhookEndpoint` is read from, under its property names. */
export const ENDPOINT_VIEW = [
  "id",
  "organization_id as organizationId",
  "url",
  "event_types as eventTypes",
  "description",
  "enabled",
  "disabled_reason as disabledReason",
  "created_at as createdAt",
  "updated_at as updatedAt",
] as const;

const ATTEMPT_VIEW = [
  "id",
  "event_id as eventId",
  "event_type as eventType",
  "attempt",
  "status_code as statusCode",
  "error",
  "duration_ms as durationMs",
  "created_at as createdAt",
] as const;

export const WebhookRepositoryPostgres = Layer.effect(
  WebhookRepository,
  Effect.gen(function* () {
    const { orm, sealer } = yield* Database;
    const run = makeRun(orm);
    return WebhookRepository.of({
      create: (e) =>
        Effect.suspend(() => {
          const secret = newWebhookSecret();
          return run((db) =>
            db
              .insertInto("webhook_endpoints")
              .values({
                id: e.id,
                organization_id: e.organizationId,
                url: e.url,
                event_types: [...e.eventTypes],
                description: e.description,
                secret_sealed: sealer.seal(secret),
              })
              .returning(ENDPOINT_VIEW)
              .executeTakeFirstOrThrow(),
          ).pipe(Effect.map((endpoint) => ({ endpoint, secret })));
        }),
      get: (id) =>
        run((db) =>
          db.selectFrom("webhook_endpoints").select(ENDPOINT_VIEW).where("id", "=", id).executeTakeFirst(),
        ).pipe(Effect.map((endpoint) => endpoint ?? null)),
      list: (organizationId, page) =>
        run((db) =>
          db
            .selectFrom("webhook_endpoints")
            .select(ENDPOINT_VIEW)
            .$call((qb) => (organizationId === null ? qb : qb.where("organization_id", "=", organizationId)))
            .$call(keysetPage(page, "webhook_endpoints"))
            .execute(),
        ).pipe(Effect.map((rows) => toPage(rows, page, (endpoint) => endpoint))),
      // What is not given stays. Enabling an endpoint clears why it was disabled and starts its
      // failure clock afresh; otherwise a disabled one keeps (or is given) its reason.
      update: (id, c) =>
        run((db) =>
          db
            .updateTable("webhook_endpoints")
            .set((eb) => ({
              url: c.url,
              event_types: c.eventTypes === undefined ? undefined : [...c.eventTypes],
              description: c.description,
              enabled: c.enabled,
              disabled_reason: eb
                .case()
                .when(c.enabled === undefined ? eb.ref("enabled") : eb.lit(c.enabled))
                .then(null)
                .else(eb.fn.coalesce(eb.val(c.disabledReason ?? null), eb.ref("disabled_reason")))
                .end(),
              failing_since: c.enabled === true ? null : undefined,
              updated_at: sql<Date>`now()`,
            }))
            .where("id", "=", id)
            .returning(ENDPOINT_VIEW)
            .executeTakeFirst(),
        ).pipe(Effect.map((endpoint) => endpoint ?? null)),
      delete: (id) =>
        run((db) => db.deleteFrom("webhook_endpoints").where("id", "=", id).executeTakeFirst()).pipe(
          Effect.map((result) => result.numDeletedRows > 0n),
        ),
      rotateSecret: (id, previousUntil) =>
        Effect.suspend(() => {
          const secret = newWebhookSecret();
          return run((db) =>
            db
              .updateTable("webhook_endpoints")
              .set((eb) => ({
                previous_secret_sealed: eb.ref("secret_sealed"),
                secret_sealed: sealer.seal(secret),
                previous_secret_expires_at: previousUntil,
                updated_at: sql<Date>`now()`,
              }))
              .where("id", "=", id)
              .executeTakeFirst(),
          ).pipe(Effect.map((result) => (result.numUpdatedRows > 0n ? secret : null)));
        }),
      attempts: (webhookId, page) =>
        run((db) =>
          db
            .selectFrom("webhook_attempts")
            .select(ATTEMPT_VIEW)
            .where("webhook_id", "=", webhookId)
            .$call(keysetPage(page, "webhook_attempts"))
            .execute(),
        ).pipe(Effect.map((rows) => toPage(rows, page, (attempt) => attempt))),
    });
  }),
);

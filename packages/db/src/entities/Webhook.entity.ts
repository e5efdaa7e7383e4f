import type { EventType } from "@admit/domain";
import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { keysetIndex } from "./columns.ts";
import { Organization } from "./Organization.entity.ts";

/** A webhook endpoint. Its signing secrets are stored sealed: the worker must sign with them. */
export const WebhookEndpoint = defineEntity({
  name: "WebhookEndpoint",
  tableName: "webhook_endpoints",
  properties: {
    id: p.uuid().primary(),
    organization: p
      .manyToOne(Organization)
      .fieldName("organization_id")
      .nullable()
      .deleteRule("cascade")
      .foreignKeyName("webhook_endpoints_organization_id_fkey"),
    url: p.text(),
    /** Written only from validated input (`isEventType`); empty means every type. */
    eventTypes: p.array().$type<EventType[]>().columnType("text[]").defaultRaw("'{}'"),
    description: p.text().nullable(),
    enabled: p.boolean().default(true),
    disabledReason: p.text().nullable(),
    secretSealed: p.text().hidden(),
    previousSecretSealed: p.text().nullable().hidden(),
    previousSecretExpiresAt: p.datetime(3).nullable(),
    failingSince: p.datetime(3).nullable(),
    createdAt: p.datetime(3).defaultRaw("now()"),
    updatedAt: p.datetime(3).defaultRaw("now()"),
  },
  indexes: [
    keysetIndex("webhook_endpoints", "webhook_endpoints_keyset", []),
    keysetIndex("webhook_endpoints", "webhook_endpoints_organization_keyset", ["organization_id"]),
  ],
});
export type WebhookEndpoint = InferEntity<typeof WebhookEndpoint>;

/** One attempt to deliver one event to one endpoint. */
export const WebhookAttempt = defineEntity({
  name: "WebhookAttempt",
  tableName: "webhook_attempts",
  properties: {
    id: p.uuid().primary(),
    webhook: p
      .manyToOne(WebhookEndpoint)
      .fieldName("webhook_id")
      .deleteRule("cascade")
      .foreignKeyName("webhook_attempts_webhook_id_fkey"),
    eventId: p.uuid(),
    eventType: p.text(),
    attempt: p.integer(),
    statusCode: p.integer().nullable(),
    error: p.text().nullable(),
    responseBody: p.text().nullable(),
    durationMs: p.integer(),
    createdAt: p.datetime(3).defaultRaw("now()"),
  },
  indexes: [keysetIndex("webhook_attempts", "webhook_attempts_keyset", ["webhook_id"])],
});
export type WebhookAttempt = InferEntity<typeof WebhookAttempt>;

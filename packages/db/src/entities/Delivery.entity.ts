import type { DeliveryStatus } from "@admit/domain";
import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { oneOf } from "./columns.ts";

/**
 * One email message: carries the accept token for every invite it covers. Lookups use the
 * token's hash; the token itself travels to the worker sealed and is wiped once sent.
 */
export const Delivery = defineEntity({
  name: "Delivery",
  tableName: "deliveries",
  properties: {
    id: p.uuid().primary(),
    email: p.text(),
    tokenHash: p.blob().hidden().unique("deliveries_token_hash_key"),
    status: p.text().$type<DeliveryStatus>().default("queued"),
    attempts: p.integer().default(0),
    lastError: p.text().nullable(),
    inviterName: p.text().nullable(),
    createdAt: p.datetime(3).defaultRaw("now()"),
    sentAt: p.datetime().nullable(),
    tokenSealed: p.text().nullable().hidden(),
    kind: p.text().$type<"invite" | "resend">().default("invite"),
    /** The provider's id of the accepted message; its reports are matched by it. */
    providerMessageId: p.text().nullable(),
    /** When the provider says the last state it reported happened. */
    reportedAt: p.datetime(3).nullable(),
    bounceType: p.text().nullable(),
    bounceDescription: p.text().nullable(),
    bouncePermanent: p.boolean().nullable(),
  },
  checks: [
    oneOf("deliveries_status_check", "status", ["queued", "sent", "failed", "delivered", "bounced", "complained"]),
    oneOf("deliveries_kind_check", "kind", ["invite", "resend"]),
  ],
  uniques: [
    {
      name: "deliveries_provider_message_id_key",
      properties: ["providerMessageId"],
      where: "provider_message_id is not null",
    },
  ],
  indexes: [
    { name: "deliveries_recipient_recent", columns: [{ name: "email" }, { name: "created_at", sort: "desc" }] },
  ],
});
export type Delivery = InferEntity<typeof Delivery>;

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
    status: p.text().default("queued"),
    attempts: p.integer().default(0),
    lastError: p.text().nullable(),
    inviterName: p.text().nullable(),
    createdAt: p.datetime(3).defaultRaw("now()"),
    sentAt: p.datetime().nullable(),
    tokenSealed: p.text().nullable().hidden(),
    kind: p.text().default("invite"),
  },
  checks: [
    oneOf("deliveries_status_check", "status", ["queued", "sent", "failed"]),
    oneOf("deliveries_kind_check", "kind", ["invite", "resend"]),
  ],
  indexes: [
    { name: "deliveries_recipient_recent", columns: [{ name: "email" }, { name: "created_at", sort: "desc" }] },
  ],
});
export type Delivery = InferEntity<typeof Delivery>;

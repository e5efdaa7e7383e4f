import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

/** The first answer to a mutation sent with an `Idempotency-Key`, per principal scope and key. */
export const IdempotencyKey = defineEntity({
  name: "IdempotencyKey",
  tableName: "idempotency_keys",
  properties: {
    scope: p.text().primary(),
    key: p.text().primary(),
    requestHash: p.blob(),
    statusCode: p.integer(),
    responseHeaders: p.json<Record<string, string>>().defaultRaw("'{}'"),
    responseBody: p.text(),
    createdAt: p.datetime(3).defaultRaw("now()"),
    expiresAt: p.datetime(3).index("idempotency_keys_expires_at"),
  },
});
export type IdempotencyKey = InferEntity<typeof IdempotencyKey>;

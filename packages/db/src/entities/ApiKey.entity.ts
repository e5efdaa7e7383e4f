import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

export const ApiKey = defineEntity({
  name: "ApiKey",
  tableName: "api_keys",
  properties: {
    id: p.uuid().primary(),
    kind: p.text(),
    organizationId: p.uuid().nullable(),
    name: p.text(),
    secretHash: p.blob().hidden(),
    createdAt: p.datetime().defaultRaw("now()"),
    revokedAt: p.datetime().nullable(),
  },
});
export type ApiKey = InferEntity<typeof ApiKey>;

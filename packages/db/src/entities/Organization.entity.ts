import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

export const Organization = defineEntity({
  name: "Organization",
  tableName: "organizations",
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    createdAt: p.datetime().defaultRaw("now()"),
  },
});
export type Organization = InferEntity<typeof Organization>;

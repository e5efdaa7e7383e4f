import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

export const Website = defineEntity({
  name: "Website",
  tableName: "websites",
  properties: {
    id: p.uuid().primary(),
    organizationId: p.uuid(),
    name: p.text(),
    url: p.text().nullable(),
    createdAt: p.datetime().defaultRaw("now()"),
  },
});
export type Website = InferEntity<typeof Website>;

import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { keysetIndex, nameLengthCheck } from "./columns.ts";
import { belongsToOrganization } from "./Organization.entity.ts";

export const Website = defineEntity({
  name: "Website",
  tableName: "websites",
  properties: {
    id: p.uuid().primary(),
    organization: belongsToOrganization("websites"),
    name: p.text(),
    url: p.text().nullable(),
    createdAt: p.datetime(3).defaultRaw("now()"),
  },
  checks: [nameLengthCheck("websites")],
  indexes: [keysetIndex("websites", "websites_keyset", ["organization_id"])],
});
export type Website = InferEntity<typeof Website>;

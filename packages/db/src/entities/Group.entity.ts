import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { keysetIndex, nameLengthCheck } from "./columns.ts";

export const Group = defineEntity({
  name: "Group",
  tableName: "groups",
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    createdAt: p.datetime(3).defaultRaw("now()"),
  },
  checks: [nameLengthCheck("groups")],
  indexes: [keysetIndex("groups", "groups_keyset", [])],
});
export type Group = InferEntity<typeof Group>;

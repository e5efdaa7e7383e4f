import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

export const Group = defineEntity({
  name: "Group",
  tableName: "groups",
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    createdAt: p.datetime().defaultRaw("now()"),
  },
});
export type Group = InferEntity<typeof Group>;

export const GroupWebsite = defineEntity({
  name: "GroupWebsite",
  tableName: "group_websites",
  properties: {
    groupId: p.uuid().primary(),
    websiteId: p.uuid().primary(),
    createdAt: p.datetime().defaultRaw("now()"),
  },
});
export type GroupWebsite = InferEntity<typeof GroupWebsite>;

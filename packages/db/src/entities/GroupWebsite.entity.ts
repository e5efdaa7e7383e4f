import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { Group } from "./Group.entity.ts";
import { Website } from "./Website.entity.ts";

export const GroupWebsite = defineEntity({
  name: "GroupWebsite",
  tableName: "group_websites",
  properties: {
    group: p
      .manyToOne(Group)
      .primary()
      .fieldName("group_id")
      .deleteRule("cascade")
      .updateRule("no action")
      .foreignKeyName("group_websites_group_id_fkey"),
    website: p
      .manyToOne(Website)
      .primary()
      .fieldName("website_id")
      .deleteRule("cascade")
      .updateRule("no action")
      .foreignKeyName("group_websites_website_id_fkey"),
    createdAt: p.datetime(3).defaultRaw("now()"),
  },
  indexes: [{ name: "group_websites_website", properties: ["website"] }],
});
export type GroupWebsite = InferEntity<typeof GroupWebsite>;

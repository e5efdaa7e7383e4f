import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

export const Membership = defineEntity({
  name: "Membership",
  tableName: "memberships",
  properties: {
    id: p.uuid().primary(),
    userId: p.uuid(),
    targetType: p.text(),
    targetId: p.uuid(),
    role: p.text(),
    sso: p.boolean().default(false),
    createdAt: p.datetime().defaultRaw("now()"),
  },
});
export type Membership = InferEntity<typeof Membership>;

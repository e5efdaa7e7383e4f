import type { Role, TargetType } from "@admit/domain";
import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { keysetIndex, roleCheck, targetTypeCheck } from "./columns.ts";
import { User } from "./User.entity.ts";

/** A user's role on one target; the target is polymorphic (`target_type`, `target_id`), so it has no foreign key. */
export const Membership = defineEntity({
  name: "Membership",
  tableName: "memberships",
  properties: {
    id: p.uuid().primary(),
    user: p.manyToOne(User).fieldName("user_id").deleteRule("cascade").foreignKeyName("memberships_user_id_fkey"),
    targetType: p.text().$type<TargetType>(),
    targetId: p.uuid(),
    role: p.text().$type<Role>(),
    sso: p.boolean().default(false),
    createdAt: p.datetime(3).defaultRaw("now()"),
  },
  checks: [targetTypeCheck("memberships"), roleCheck("memberships")],
  uniques: [{ name: "memberships_target_user_key", properties: ["targetType", "targetId", "user"] }],
  indexes: [
    keysetIndex("memberships", "memberships_target_keyset", ["target_type", "target_id"]),
    { name: "memberships_user", properties: ["user"] },
  ],
});
export type Membership = InferEntity<typeof Membership>;

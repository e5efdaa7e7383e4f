import type { InviterKind, Role, StoredInviteStatus, TargetType } from "@admit/domain";
import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { inviterKindCheck, keysetIndex, oneOf, roleCheck, targetTypeCheck } from "./columns.ts";
import { Delivery } from "./Delivery.entity.ts";
import { belongsToOrganization } from "./Organization.entity.ts";
import { User } from "./User.entity.ts";

/** An invite of one email to one target (polymorphic: no foreign key to the target itself). */
export const Invite = defineEntity({
  name: "Invite",
  tableName: "invites",
  properties: {
    id: p.uuid().primary(),
    email: p.text(),
    targetType: p.text().$type<TargetType>(),
    targetId: p.uuid(),
    organization: belongsToOrganization("invites").nullable(),
    role: p.text().$type<Role>(),
    status: p.text().$type<StoredInviteStatus>().default("pending"),
    delivery: p.manyToOne(Delivery).fieldName("delivery_id").foreignKeyName("invites_delivery_id_fkey"),
    inviterKind: p.text().$type<InviterKind>(),
    inviterId: p.uuid().nullable(),
    firstName: p.text().nullable(),
    lastName: p.text().nullable(),
    redirectUrl: p.text().nullable(),
    locale: p.text().nullable(),
    expiresAt: p.datetime(),
    createdAt: p.datetime(3).defaultRaw("now()"),
    updatedAt: p.datetime(3).defaultRaw("now()"),
    respondedAt: p.datetime(3).nullable(),
    // Full precision, as expires_at: the expiry an invite.expired event was recorded for.
    expiryRecordedFor: p.datetime().nullable(),
    acceptedUser: p
      .manyToOne(User)
      .fieldName("accepted_user_id")
      .nullable()
      .deleteRule("set null")
      .foreignKeyName("invites_accepted_user_id_fkey"),
  },
  checks: [
    targetTypeCheck("invites"),
    roleCheck("invites"),
    oneOf("invites_status_check", "status", ["pending", "accepted", "declined", "revoked"]),
    inviterKindCheck("invites_inviter_kind_check", "inviter_kind"),
  ],
  uniques: [
    // At most one pending invite per email and target; a new invite replaces it in place.
    {
      name: "invites_pending_key",
      properties: ["targetType", "targetId", "email"],
      where: "status = 'pending'",
    },
  ],
  indexes: [
    keysetIndex("invites", "invites_organization_keyset", ["organization_id"], { include: ["status", "expires_at"] }),
    keysetIndex("invites", "invites_target_keyset", ["target_type", "target_id"]),
    keysetIndex("invites", "invites_email_keyset", ["email"]),
    { name: "invites_delivery", properties: ["delivery"] },
    {
      name: "invites_expiry_due",
      expression:
        'create index "invites_expiry_due" on "invites" ("expires_at") where ((status = \'pending\'::text) and (expiry_recorded_for is distinct from expires_at))',
    },
  ],
});
export type Invite = InferEntity<typeof Invite>;

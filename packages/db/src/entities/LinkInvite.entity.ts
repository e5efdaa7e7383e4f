import type { InviterKind, Role } from "@admit/domain";
import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { inviterKindCheck, keysetIndex, roleCheck } from "./columns.ts";
import { belongsToOrganization } from "./Organization.entity.ts";

/**
 * A reusable join link of an organization. The join code is stored as its SHA-256 (for lookups)
 * and sealed (for managers to read the link's url again), never in clear.
 */
export const LinkInvite = defineEntity({
  name: "LinkInvite",
  tableName: "link_invites",
  properties: {
    id: p.uuid().primary(),
    organization: belongsToOrganization("link_invites"),
    codeHash: p.blob().hidden().unique("link_invites_code_hash_key"),
    codeSealed: p.text().nullable().hidden(),
    role: p.text().$type<Role>(),
    sso: p.boolean().default(false),
    expiresAt: p.datetime(3).nullable(),
    maxUses: p.integer().nullable(),
    uses: p.integer().default(0),
    allowedEmailDomains: p.array().columnType("text[]").defaultRaw("'{}'"),
    disabled: p.boolean().default(false),
    creatorKind: p.text().$type<InviterKind>(),
    creatorId: p.uuid().nullable(),
    creatorName: p.text(),
    createdAt: p.datetime(3).defaultRaw("now()"),
    updatedAt: p.datetime(3).defaultRaw("now()"),
    revokedAt: p.datetime(3).nullable(),
  },
  checks: [
    roleCheck("link_invites"),
    { name: "link_invites_max_uses_check", expression: "max_uses > 0" },
    inviterKindCheck("link_invites_creator_kind_check", "creator_kind"),
    { name: "link_invites_check", expression: "max_uses is null or uses <= max_uses" },
  ],
  indexes: [keysetIndex("link_invites", "link_invites_keyset", ["organization_id"], { where: "revoked_at is null" })],
});
export type LinkInvite = InferEntity<typeof LinkInvite>;

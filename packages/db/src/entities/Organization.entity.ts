import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { keysetIndex, nameLengthCheck } from "./columns.ts";

export const Organization = defineEntity({
  name: "Organization",
  tableName: "organizations",
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    createdAt: p.datetime(3).defaultRaw("now()"),
    /** Invitation emails allowed per hour; null means the service default. */
    emailInvitesPerHour: p.integer().nullable(),
  },
  checks: [nameLengthCheck("organizations")],
  indexes: [keysetIndex("organizations", "organizations_keyset", [])],
});
export type Organization = InferEntity<typeof Organization>;

/** The organization a row belongs to, in `organization_id`: the row goes when the organization goes. */
export const belongsToOrganization = (table: string) =>
  p
    .manyToOne(Organization)
    .fieldName("organization_id")
    .deleteRule("cascade")
    .foreignKeyName(`${table}_organization_id_fkey`);

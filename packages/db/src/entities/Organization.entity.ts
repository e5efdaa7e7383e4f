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

import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { keysetIndex, nameLengthCheck } from "./columns.ts";

export const Organization = defineEntity({
  name: "Organization",
  tableName: "organizations",
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    displayName: p.text().nullable(),
    logoUrl: p.text().nullable(),
    primaryColor: p.text().nullable(),
    supportEmail: p.text().nullable(),
    locale: p.text().nullable(),
    allowedRedirectOrigins: p.array().columnType("text[]").defaultRaw("'{}'"),
    appUrl: p.text().nullable(),
    emailInvitesPerHour: p.integer().nullable(),
    createdAt: p.datetime(3).defaultRaw("now()"),
  },
  checks: [nameLengthCheck("organizations")],
  indexes: [keysetIndex("organizations", "organizations_keyset", [])],
});
export type Organization = InferEntity<typeof Organization>;

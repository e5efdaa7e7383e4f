import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { Organization } from "./Organization.entity.ts";

/** How many invitation emails an organization sent in its current hourly window. */
export const EmailQuotaWindow = defineEntity({
  name: "EmailQuotaWindow",
  tableName: "email_quota_windows",
  properties: {
    organization: p
      .manyToOne(Organization)
      .primary()
      .fieldName("organization_id")
      .deleteRule("cascade")
      .updateRule("no action")
      .foreignKeyName("email_quota_windows_organization_id_fkey"),
    windowStartedAt: p.datetime(3),
    used: p.integer(),
  },
  checks: [{ name: "email_quota_windows_used_check", expression: "used >= 0" }],
});
export type EmailQuotaWindow = InferEntity<typeof EmailQuotaWindow>;

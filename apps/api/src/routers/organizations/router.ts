import { inviteUsers, MAX_ORGANIZATION_INVITE_EMAILS, Tenancy, updateOrganization } from "@admit/domain";
import { z } from "zod";
import { runEffect } from "../../effect.ts";
import { toJson } from "../../json.ts";
import { displayName, id, locale, page, role, text } from "../../schemas.ts";

/** Shapes only: what makes a URL, an origin or a colour acceptable is the domain's rule. */
const setting = (max: number) => text().max(max, `At most ${max} characters`);

import { keyProcedure, principalProcedure, router } from "../../trpc.ts";

export const organizationsRouter = router({
  /** Emails are validated by the domain, which names each invalid or duplicated one. */
  inviteUsers: principalProcedure
    .input(
      z.strictObject({
        organizationId: id,
        emails: z
          .array(text().max(1000))
          .min(1, "At least 1 email")
          .max(MAX_ORGANIZATION_INVITE_EMAILS, `At most ${MAX_ORGANIZATION_INVITE_EMAILS} emails`),
        role: role.default("read"),
        sso: z.boolean().default(false),
      }),
    )
    .mutation(({ ctx, input }) => runEffect(ctx, inviteUsers(ctx.principal, input))),
  create: keyProcedure
    .input(z.strictObject({ name: displayName }))
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.createOrganization(ctx.principal, input)))),
  get: keyProcedure
    .input(z.strictObject({ organizationId: id }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.getOrganization(ctx.principal, input)))),
  /** Branding and product settings; `null` clears a setting. */
  update: keyProcedure
    .input(
      z.strictObject({
        organizationId: id,
        name: displayName.optional(),
        displayName: setting(200).nullable().optional(),
        logoUrl: setting(2000).nullable().optional(),
        primaryColor: setting(20).nullable().optional(),
        supportEmail: setting(254).nullable().optional(),
        locale: locale.nullable().optional(),
        allowedRedirectOrigins: z.array(setting(300)).max(20, "At most 20 origins").optional(),
        appUrl: setting(2000).nullable().optional(),
        emailInvitesPerHour: z.number().int("Must be a whole number").min(0).max(1_000_000).nullable().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, updateOrganization(ctx.principal, input)))),
  list: keyProcedure
    .input(z.strictObject(page).default({ cursor: null, limit: 50 }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.listOrganizations(ctx.principal, input)))),
});

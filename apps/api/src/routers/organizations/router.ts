import { inviteUsers, MAX_ORGANIZATION_INVITE_EMAILS, Tenancy } from "@admit/domain";
import { z } from "zod";
import { runEffect } from "../../effect.ts";
import { toJson } from "../../json.ts";
import { displayName, id, page, role, text } from "../../schemas.ts";
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
  list: keyProcedure
    .input(z.strictObject(page).default({ cursor: null, limit: 50 }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.listOrganizations(ctx.principal, input)))),
});

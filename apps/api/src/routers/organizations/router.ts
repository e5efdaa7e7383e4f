import { Tenancy } from "@admit/domain";
import { z } from "zod";
import { runEffect } from "../../effect.ts";
import { toJson } from "../../json.ts";
import { displayName, id, page } from "../../schemas.ts";
import { keyProcedure, router } from "../../trpc.ts";

export const organizationsRouter = router({
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

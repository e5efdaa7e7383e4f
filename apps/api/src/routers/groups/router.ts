import { Tenancy } from "@admit/domain";
import { z } from "zod";
import { runEffect } from "../../effect.ts";
import { toJson } from "../../json.ts";
import { displayName, id, page } from "../../schemas.ts";
import { keyProcedure, router } from "../../trpc.ts";

const websiteIds = z
  .array(id)
  .min(1, "At least one website")
  .max(1000, "At most 1000 websites")
  .refine((ids) => new Set(ids).size === ids.length, "Website ids must be distinct");

const change = z.strictObject({ groupId: id, websiteIds });

export const groupsRouter = router({
  create: keyProcedure
    .input(z.strictObject({ name: displayName }))
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.createGroup(ctx.principal, input)))),
  get: keyProcedure
    .input(z.strictObject({ groupId: id }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.getGroup(ctx.principal, input)))),
  list: keyProcedure
    .input(z.strictObject(page).default({ cursor: null, limit: 50 }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.listGroups(ctx.principal, input)))),
  addWebsites: keyProcedure
    .input(change)
    .mutation(async ({ ctx, input }) =>
      toJson(await runEffect(ctx, Tenancy.changeGroupWebsites(ctx.principal, input, "add"))),
    ),
  removeWebsites: keyProcedure
    .input(change)
    .mutation(async ({ ctx, input }) =>
      toJson(await runEffect(ctx, Tenancy.changeGroupWebsites(ctx.principal, input, "remove"))),
    ),
});

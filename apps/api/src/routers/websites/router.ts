import { Tenancy } from "@admit/domain";
import { z } from "zod";
import { runEffect } from "../../effect.ts";
import { toJson } from "../../json.ts";
import { displayName, id, isStorableText, page, UNSTORABLE_TEXT } from "../../schemas.ts";
import { keyProcedure, router } from "../../trpc.ts";

export const websitesRouter = router({
  create: keyProcedure
    .input(
      z.strictObject({
        organizationId: id,
        name: displayName,
        url: z
          .url({ protocol: /^https?$/, error: "Must be an http(s) URL" })
          .max(2048)
          .refine(isStorableText, UNSTORABLE_TEXT)
          .optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.createWebsite(ctx.principal, input)))),
  get: keyProcedure
    .input(z.strictObject({ websiteId: id }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.getWebsite(ctx.principal, input)))),
  list: keyProcedure
    .input(z.strictObject({ organizationId: id, ...page }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.listWebsites(ctx.principal, input)))),
});

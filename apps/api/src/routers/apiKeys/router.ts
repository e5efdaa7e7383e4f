import { Tenancy } from "@admit/domain";
import { z } from "zod";
import { runEffect } from "../../effect.ts";
import { toJson } from "../../json.ts";
import { displayName, id, page } from "../../schemas.ts";
import { keyProcedure, router } from "../../trpc.ts";

export const apiKeysRouter = router({
  create: keyProcedure
    .input(
      z.strictObject({
        kind: z.enum(["global", "organization"], { error: "Must be global or organization" }),
        organizationId: id.optional(),
        name: displayName,
      }),
    )
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.createApiKey(ctx.principal, input)))),
  list: keyProcedure
    .input(z.strictObject({ organizationId: id.optional(), ...page }).default({ cursor: null, limit: 50 }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.listApiKeys(ctx.principal, input)))),
  revoke: keyProcedure
    .input(z.strictObject({ apiKeyId: id }))
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.revokeApiKey(ctx.principal, input)))),
});

import { Tenancy } from "@admit/domain";
import { z } from "zod";
import { runEffect } from "../../effect.ts";
import { toJson } from "../../json.ts";
import { id, page, targetType } from "../../schemas.ts";
import { keyProcedure, router } from "../../trpc.ts";

export const membersRouter = router({
  list: keyProcedure
    .input(z.strictObject({ type: targetType, id, ...page }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.listMembers(ctx.principal, input)))),
});

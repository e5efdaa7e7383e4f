import { removeMember, Tenancy, updateMemberRole } from "@admit/domain";
import { z } from "zod";
import { runEffect } from "../../effect.ts";
import { toJson } from "../../json.ts";
import { id, page, role, targetType } from "../../schemas.ts";
import { principalProcedure, router } from "../../trpc.ts";

export const membersRouter = router({
  list: principalProcedure
    .input(z.strictObject({ type: targetType, id, ...page }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, Tenancy.listMembers(ctx.principal, input)))),
  updateRole: principalProcedure
    .input(z.strictObject({ type: targetType, id, userId: id, role }))
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, updateMemberRole(ctx.principal, input)))),
  remove: principalProcedure
    .input(z.strictObject({ type: targetType, id, userId: id }))
    .mutation(({ ctx, input }) => runEffect(ctx, removeMember(ctx.principal, input))),
});

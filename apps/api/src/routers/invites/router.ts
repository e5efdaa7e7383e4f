import { createInvite } from "@admit/domain";
import { runEffect } from "../../effect.ts";
import { keyProcedure, router } from "../../trpc.ts";
import { createInviteInput } from "./schemas.ts";

export const invitesRouter = router({
  create: keyProcedure
    .input(createInviteInput)
    .mutation(({ ctx, input }) => runEffect(ctx, createInvite(ctx.principal, input))),
});

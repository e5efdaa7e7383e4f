import { issueUserToken } from "@admit/domain";
import { z } from "zod";
import { runEffect } from "../../effect.ts";
import { toJson } from "../../json.ts";
import { id } from "../../schemas.ts";
import { keyProcedure, router } from "../../trpc.ts";

export const usersRouter = router({
  issueToken: keyProcedure
    .input(
      z.strictObject({
        userId: id,
        ttlSeconds: z
          .number()
          .int()
          .min(60, "At least 60 seconds")
          .max(30 * 86_400, "At most 30 days")
          .default(3600),
      }),
    )
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, issueUserToken(ctx.principal, input)))),
});

import { listAudit } from "@admit/domain";
import { z } from "zod";
import { runEffect } from "../../effect.ts";
import { toJson } from "../../json.ts";
import { eventTypes, id, page, timestamp } from "../../schemas.ts";
import { keyProcedure, router } from "../../trpc.ts";

export const auditRouter = router({
  /** The event log, newest first: an organization key reads its organization's, a global key everything. */
  list: keyProcedure
    .input(
      z
        .strictObject({
          organizationId: id.optional(),
          types: eventTypes.optional(),
          since: timestamp.optional(),
          until: timestamp.optional(),
          ...page,
        })
        .default({ cursor: null, limit: 50 }),
    )
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, listAudit(ctx.principal, input)))),
});

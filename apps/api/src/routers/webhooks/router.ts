import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhookAttempts,
  listWebhooks,
  rotateWebhookSecret,
  testWebhook,
  updateWebhook,
} from "@admit/domain";
import { z } from "zod";
import { runEffect } from "../../effect.ts";
import { toJson } from "../../json.ts";
import { eventTypes, id, page, text } from "../../schemas.ts";
import { keyProcedure, router } from "../../trpc.ts";

const url = text().trim().min(1, "Required").max(2000, "At most 2000 characters");
const description = text().trim().max(500, "At most 500 characters");
const ref = z.strictObject({ webhookId: id });

/**
 * Webhook endpoints (API keys only). The signing secret appears in the answers of `create` and
 * `rotateSecret` only.
 */
export const webhooksRouter = router({
  create: keyProcedure
    .input(
      z.strictObject({
        organizationId: id.optional(),
        url,
        eventTypes: eventTypes.optional(),
        description: description.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, createWebhook(ctx.principal, input)))),
  list: keyProcedure
    .input(z.strictObject({ organizationId: id.optional(), ...page }).default({ cursor: null, limit: 50 }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, listWebhooks(ctx.principal, input)))),
  get: keyProcedure
    .input(ref)
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, getWebhook(ctx.principal, input)))),
  update: keyProcedure
    .input(
      z.strictObject({
        webhookId: id,
        url: url.optional(),
        eventTypes: eventTypes.optional(),
        description: description.nullable().optional(),
        enabled: z.boolean().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, updateWebhook(ctx.principal, input)))),
  delete: keyProcedure
    .input(ref)
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, deleteWebhook(ctx.principal, input)))),
  rotateSecret: keyProcedure
    .input(ref)
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, rotateWebhookSecret(ctx.principal, input)))),
  test: keyProcedure
    .input(ref)
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, testWebhook(ctx.principal, input)))),
  attempts: keyProcedure
    .input(z.strictObject({ webhookId: id, ...page }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, listWebhookAttempts(ctx.principal, input)))),
});

import {
  acceptInvite,
  createBulkInvite,
  createInvite,
  declineInvite,
  getInvite,
  listInvites,
  previewInvite,
  resendInvite,
  revokeInvite,
} from "@admit/domain";
import { runEffect } from "../../effect.ts";
import { asJson, toJson } from "../../json.ts";
import { principalProcedure, publicProcedure, router } from "../../trpc.ts";
import {
  acceptInput,
  createBulkInviteInput,
  createInviteInput,
  inviteIdInput,
  listInvitesInput,
  tokenInput,
} from "./schemas.ts";

export const invitesRouter = router({
  create: principalProcedure
    .input(createInviteInput)
    .mutation(({ ctx, input }) => runEffect(ctx, createInvite(ctx.principal, input))),
  createBulk: principalProcedure
    .input(createBulkInviteInput)
    .mutation(({ ctx, input }) => runEffect(ctx, createBulkInvite(ctx.principal, input))),
  get: principalProcedure
    .input(inviteIdInput)
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, getInvite(ctx.principal, input)))),
  list: principalProcedure
    .input(listInvitesInput)
    .query(async ({ ctx, input }) => asJson(await runEffect(ctx, listInvites(ctx.principal, input)))),
  revoke: principalProcedure
    .input(inviteIdInput)
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, revokeInvite(ctx.principal, input)))),
  resend: principalProcedure
    .input(inviteIdInput)
    .mutation(async ({ ctx, input }) => toJson(await runEffect(ctx, resendInvite(ctx.principal, input)))),
  preview: publicProcedure
    .input(tokenInput)
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, previewInvite(input)))),
  accept: publicProcedure.input(acceptInput).mutation(({ ctx, input }) => runEffect(ctx, acceptInvite(input))),
  decline: publicProcedure.input(tokenInput).mutation(({ ctx, input }) => runEffect(ctx, declineInvite(input))),
});

import {
  createLinkInvite,
  getLinkInvite,
  joinLinkInvite,
  type LinkInviteRecord,
  listLinkInvites,
  previewLinkInvite,
  revokeLinkInvite,
  updateLinkInvite,
} from "@admit/domain";
import { z } from "zod";
import { runEffect } from "../../effect.ts";
import { toJson } from "../../json.ts";
import { id, page, role, text } from "../../schemas.ts";
import { principalProcedure, publicProcedure, router } from "../../trpc.ts";

const timestamp = z.iso
  .datetime({ offset: true, error: "Must be an ISO-8601 timestamp" })
  .transform((s) => new Date(s));
const maxUses = z.number().int().min(1, "At least 1").max(1_000_000);
const domain = text()
  .trim()
  .toLowerCase()
  .regex(
    /^@?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/,
    "Must be a domain like example.com",
  );

const linkRef = { organizationId: id, inviteId: id };

/** The page a link's url opens; the code in it is the secret that lets people join. */
export const linkUrl = (publicUrl: string, organizationId: string, code: string) =>
  `${publicUrl}/join/${organizationId}/${encodeURIComponent(code)}`;

/**
 * What managers see of a link: its `url`, rebuilt from the sealed join code (null for links made
 * before codes were kept). The code itself is never a field of its own.
 */
const view = (publicUrl: string, { code, ...link }: LinkInviteRecord) =>
  toJson({ ...link, url: code === null ? null : linkUrl(publicUrl, link.organizationId, code) });

export const linkInvitesRouter = router({
  create: principalProcedure
    .input(
      z.strictObject({
        organizationId: id,
        role: role.default("read"),
        sso: z.boolean().default(false),
        expiresAt: timestamp.optional(),
        maxUses: maxUses.optional(),
        allowedEmailDomains: z.array(domain).max(100).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { link, code } = await runEffect(ctx, createLinkInvite(ctx.principal, input));
      return view(ctx.publicUrl, { ...link, code });
    }),
  list: principalProcedure.input(z.strictObject({ organizationId: id, ...page })).query(async ({ ctx, input }) => {
    const result = await runEffect(ctx, listLinkInvites(ctx.principal, input));
    return { items: result.items.map((l) => view(ctx.publicUrl, l)), nextCursor: result.nextCursor };
  }),
  get: principalProcedure
    .input(z.strictObject(linkRef))
    .query(async ({ ctx, input }) => view(ctx.publicUrl, await runEffect(ctx, getLinkInvite(ctx.principal, input)))),
  update: principalProcedure
    .input(
      z.strictObject({
        ...linkRef,
        role: role.optional(),
        expiresAt: timestamp.nullable().optional(),
        maxUses: maxUses.nullable().optional(),
        disabled: z.boolean().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) =>
      view(ctx.publicUrl, await runEffect(ctx, updateLinkInvite(ctx.principal, input))),
    ),
  revoke: principalProcedure
    .input(z.strictObject(linkRef))
    .mutation(({ ctx, input }) => runEffect(ctx, revokeLinkInvite(ctx.principal, input))),
  /** Public and read-only: what the link's page shows. Never counts a use. */
  preview: publicProcedure
    .input(z.strictObject({ organizationId: id, code: text().min(1, "Required").max(200) }))
    .query(async ({ ctx, input }) => toJson(await runEffect(ctx, previewLinkInvite(input)))),
  /** `inviteId` here is the join code from the link's url. */
  join: principalProcedure
    .input(z.strictObject({ organizationId: id, inviteId: text().min(1, "Required").max(200) }))
    .mutation(({ ctx, input }) => runEffect(ctx, joinLinkInvite(ctx.principal, input))),
});

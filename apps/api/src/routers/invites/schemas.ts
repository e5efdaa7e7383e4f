import { DELIVERY_STATUSES, INVITE_STATUSES, MAX_BULK_TARGETS } from "@admit/domain";
import { z } from "zod";
import { email, id, locale, page, personName, role, targetType, text } from "../../schemas.ts";

/** Its origin is checked against the organization's allowed origins by the domain. */
const redirectUrl = text().max(2000, "At most 2000 characters");

const method = z.enum(["direct", "email"], { error: "Must be direct or email" });

export const createInviteInput = z.strictObject({
  type: targetType.default("organization"),
  method: method.default("email"),
  email,
  role: role.default("read"),
  organizationId: id.optional(),
  websiteId: id.optional(),
  groupId: id.optional(),
  firstName: personName.optional(),
  lastName: personName.optional(),
  redirectUrl: redirectUrl.optional(),
  locale: locale.optional(),
});

const targetIds = z
  .array(id)
  .min(1, "At least 1 id")
  .max(MAX_BULK_TARGETS, `At most ${MAX_BULK_TARGETS} ids`)
  .refine((ids) => new Set(ids).size === ids.length, "Ids must be distinct");

export const createBulkInviteInput = z.strictObject({
  method: method.default("direct"),
  email,
  role: role.default("read"),
  websiteIds: targetIds.optional(),
  groupIds: targetIds.optional(),
  firstName: personName.optional(),
  lastName: personName.optional(),
  redirectUrl: redirectUrl.optional(),
  locale: locale.optional(),
});

export const inviteIdInput = z.strictObject({ inviteId: id });

export const listInvitesInput = z
  .strictObject({
    organizationId: id.optional(),
    websiteId: id.optional(),
    groupId: id.optional(),
    status: z.enum(INVITE_STATUSES, { error: `Must be one of: ${INVITE_STATUSES.join(", ")}` }).optional(),
    deliveryStatus: z.enum(DELIVERY_STATUSES, { error: `Must be one of: ${DELIVERY_STATUSES.join(", ")}` }).optional(),
    email: email.optional(),
    ...page,
  })
  .default({ cursor: null, limit: 50 });

/** Accept tokens are opaque to callers; a length bound keeps junk out of the hash lookup. */
export const tokenInput = z.strictObject({ token: text().min(1, "Required").max(200) });

export const acceptInput = z.strictObject({
  token: text().min(1, "Required").max(200),
  firstName: personName.optional(),
  lastName: personName.optional(),
});

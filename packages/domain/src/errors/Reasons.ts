/**
 * Every `reason` a domain error can carry, grouped by the error that carries it. This is the one
 * place a reason is declared: the error classes take their `reason` field from these lists, and
 * the edge (`apps/api/src/errors.ts`, the accept page) maps every one of them to a message and a
 * status, typed so that a reason added here without a mapping there fails the type check.
 *
 * To add a reason: add the literal to the list of the error that carries it, then follow the type
 * errors.
 */
export const REASONS = {
  InvalidInput: ["invalid_input", "invalid_idempotency_key"],
  AlreadyMember: ["already_member"],
  NotFound: [
    "organization_not_found",
    "website_not_found",
    "group_not_found",
    "member_not_found",
    "user_not_found",
    "api_key_not_found",
    "invite_not_found",
    "link_invite_not_found",
    "webhook_not_found",
  ],
  Forbidden: [
    "global_key_required",
    "api_key_required",
    "user_token_required",
    "group_requires_global_key",
    "insufficient_role",
    "role_above_own",
    "inviter_lost_authority",
    "email_domain_not_allowed",
    "link_invite_disabled",
  ],
  Conflict: [
    "invite_superseded",
    "invite_already_accepted",
    "invite_declined",
    "invite_revoked",
    "invite_expired",
    "link_invite_expired",
    "link_invite_used_up",
    "idempotency_key_reused",
    "idempotency_request_in_progress",
    "webhook_disabled",
  ],
  Unauthorized: ["missing_credentials", "invalid_credentials"],
  TooManyRequests: ["resend_throttled", "email_quota_exceeded"],
} as const;

/** The error tags that carry a reason, and the reasons of each. */
export type ReasonsOf = { readonly [Tag in keyof typeof REASONS]: (typeof REASONS)[Tag][number] };

export type NotFoundReason = ReasonsOf["NotFound"];
export type ForbiddenReason = ReasonsOf["Forbidden"];
export type ConflictReason = ReasonsOf["Conflict"];
export type UnauthorizedReason = ReasonsOf["Unauthorized"];
export type TooManyRequestsReason = ReasonsOf["TooManyRequests"];

/** Every reason the domain reports. */
export type Reason = ReasonsOf[keyof ReasonsOf];

/** A per-target refusal (bulk outcomes, access checks): not found or forbidden, with its reason. */
export type RefusalReason = NotFoundReason | ForbiddenReason;

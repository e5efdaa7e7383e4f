import { Clock, Effect } from "effect";
import { TooManyRequests } from "../errors/Errors.ts";
import { InviteSettings } from "../invites/InviteSettings.ts";
import { EmailQuotaCounter, type EmailQuotaUsage } from "./EmailQuotaCounter.ts";

export const EMAIL_QUOTA_WINDOW_MS = 3_600_000;

/** Whether an organization's count (this email counted) is past its limit: its own, else `defaultLimit`. */
export const overLimit = (usage: EmailQuotaUsage, defaultLimit: number): boolean =>
  usage.used > (usage.limitOverride ?? defaultLimit);

/**
 * The refusal (`TOO_MANY_REQUESTS`, `email_quota_exceeded`) of an email once counted, when any
 * organization it invites to is past its hourly limit: its own, else `defaultLimit`. `retryAfter`
 * is the number of seconds until the fullest window ends.
 */
export const quotaRefusal = (
  usage: ReadonlyArray<EmailQuotaUsage>,
  defaultLimit: number,
  now: number,
): TooManyRequests | null => {
  let refusal: { retryAfter: number; limit: number } | undefined;
  for (const u of usage) {
    if (!overLimit(u, defaultLimit)) continue;
    const limit = u.limitOverride ?? defaultLimit;
    // A window that another request started after `now` (its clock read later) ends at most one
    // window from now.
    const ends = Math.min(u.windowStartedAt.getTime(), now) + EMAIL_QUOTA_WINDOW_MS;
    const retryAfter = Math.max(1, Math.ceil((ends - now) / 1000));
    if (refusal === undefined || retryAfter > refusal.retryAfter) refusal = { retryAfter, limit };
  }
  return refusal === undefined
    ? null
    : new TooManyRequests({
        reason: "email_quota_exceeded",
        retryAfter: refusal.retryAfter,
        limit: refusal.limit,
        windowSeconds: EMAIL_QUOTA_WINDOW_MS / 1000,
      });
};

/**
 * Counts one invitation email against the quota of every organization it invites to, and refuses
 * it (see `quotaRefusal`). Must run inside the transaction that queues the email: a refusal fails
 * that transaction, so the refused email is never counted.
 */
export const chargeEmailQuota = Effect.fn("EmailQuota.charge")(function* (organizationIds: ReadonlyArray<string>) {
  const ids = [...new Set(organizationIds)].sort();
  if (ids.length === 0) return;
  const settings = yield* InviteSettings;
  const now = yield* Clock.currentTimeMillis;
  const usage = yield* (yield* EmailQuotaCounter).count(ids, new Date(now), EMAIL_QUOTA_WINDOW_MS);
  const refusal = quotaRefusal(usage, settings.emailInvitesPerHour, now);
  if (refusal !== null) return yield* refusal;
});

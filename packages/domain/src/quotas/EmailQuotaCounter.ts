import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";

/** One organization's email count in its current window, after counting the email at hand. */
export interface EmailQuotaUsage {
  readonly organizationId: string;
  /** Emails counted in the current window, the one just counted included. */
  readonly used: number;
  readonly windowStartedAt: Date;
  /** The organization's own hourly limit; null means the service default. */
  readonly limitOverride: number | null;
}

/**
 * Counts invitation emails per organization in fixed windows that start with the first email
 * after the previous window ended. Shared by every process (the count lives in the database).
 * `count` runs in the caller's transaction and keeps each organization's counter locked until it
 * ends, so concurrent emails of one organization are counted one after another, and a transaction
 * that rolls back (a refused or failed request) counts nothing.
 */
export class EmailQuotaCounter extends Context.Service<
  EmailQuotaCounter,
  {
    /**
     * Counts one email against each organization (ids that name no organization are skipped),
     * starting a fresh window at `now` where the last one is `windowMs` or more old.
     */
    count(
      organizationIds: ReadonlyArray<string>,
      now: Date,
      windowMs: number,
    ): Effect.Effect<ReadonlyArray<EmailQuotaUsage>, RepositoryError>;
  }
>()("@admit/domain/EmailQuotaCounter") {}

import { EmailQuotaCounter } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, date, makeQuery, pgArray } from "../sql.ts";

/**
 * One statement: an upsert of each organization's window row (in id order, so two requests
 * counting the same organizations lock them in the same order), restarting windows that ended.
 * The row stays locked until the caller's transaction ends: counts of one organization queue up
 * behind each other, and each sees the committed count of the one before it.
 */
export const EmailQuotaCounterPostgres = Layer.effect(
  EmailQuotaCounter,
  Effect.gen(function* () {
    const { orm } = yield* Database;
    const query = makeQuery(orm);
    return EmailQuotaCounter.of({
      count: (organizationIds, now, windowMs) =>
        organizationIds.length === 0
          ? Effect.succeed([])
          : query<{
              organization_id: string;
              used: number;
              window_started_at: Date;
              email_invites_per_hour: number | null;
            }>(
              `with orgs as (
                 select id, email_invites_per_hour from organizations where id = any(?::uuid[])
               ),
               counted as (
                 insert into email_quota_windows as w (organization_id, window_started_at, used)
                 select id, ?::timestamptz, 1 from orgs order by id
                 on conflict (organization_id) do update set
                   window_started_at = case when w.window_started_at <= excluded.window_started_at - ?::interval
                     then excluded.window_started_at else w.window_started_at end,
                   used = case when w.window_started_at <= excluded.window_started_at - ?::interval
                     then 1 else w.used + 1 end
                 returning w.organization_id, w.used, w.window_started_at
               )
               select c.organization_id, c.used, c.window_started_at, o.email_invites_per_hour
               from counted c join orgs o on o.id = c.organization_id
               order by c.organization_id`,
              [
                pgArray([...new Set(organizationIds)]),
                now.toISOString(),
                `${windowMs} milliseconds`,
                `${windowMs} milliseconds`,
              ],
            ).pipe(
              Effect.map((rows) =>
                rows.map((r) => ({
                  organizationId: r.organization_id,
                  used: Number(r.used),
                  windowStartedAt: date(r.window_started_at),
                  limitOverride: r.email_invites_per_hour === null ? null : Number(r.email_invites_per_hour),
                })),
              ),
            ),
    });
  }),
);

import { EmailQuotaCounter } from "@admit/domain";
import { Effect, Layer } from "effect";
import { sql } from "kysely";
import { makeRun, uuids } from "../kysely.ts";
import { Database } from "../sql.ts";

/**
 * One statement: an upsert of each organization's window row (in id order, so two requests
 * counting the same organizations lock them in the same order), restarting windows that ended.
 * The row stays locked until the caller's transaction ends: counts of one organization queue up
 * behind each other, and each sees the committed count of the one before it.
 */
export const EmailQuotaCounterPostgres = Layer.effect(
  EmailQuotaCounter,
  Effect.gen(function* () {
    const run = makeRun((yield* Database).orm);
    return EmailQuotaCounter.of({
      count: (organizationIds, now, windowMs) => {
        if (organizationIds.length === 0) return Effect.succeed([]);
        const window = sql<string>`${`${windowMs} milliseconds`}::interval`;
        const ended = sql<boolean>`email_quota_windows.window_started_at <= excluded.window_started_at - ${window}`;
        return run((db) =>
          db
            .with("orgs", (db) =>
              db
                .selectFrom("organizations")
                .select(["id", "email_invites_per_hour"])
                .where((eb) => eb("id", "=", eb.fn.any(uuids([...new Set(organizationIds)])))),
            )
            .with("counted", (db) =>
              db
                .insertInto("email_quota_windows")
                .columns(["organization_id", "window_started_at", "used"])
                .expression((eb) =>
                  eb
                    .selectFrom("orgs")
                    .select(["id", sql<Date>`${now}::timestamptz`.as("window_started_at"), sql<number>`1`.as("used")])
                    .orderBy("id"),
                )
                .onConflict((oc) =>
                  oc.column("organization_id").doUpdateSet({
                    window_started_at: sql<Date>`case when ${ended} then excluded.window_started_at else email_quota_windows.window_started_at end`,
                    used: sql<number>`case when ${ended} then 1 else email_quota_windows.used + 1 end`,
                  }),
                )
                .returning(["organization_id", "used", "window_started_at"]),
            )
            .selectFrom("counted as c")
            .innerJoin("orgs as o", "o.id", "c.organization_id")
            .select(["c.organization_id", "c.used", "c.window_started_at", "o.email_invites_per_hour"])
            .orderBy("c.organization_id")
            .execute(),
        ).pipe(
          Effect.map((rows) =>
            rows.map((r) => ({
              organizationId: r.organization_id,
              used: r.used,
              windowStartedAt: r.window_started_at,
              limitOverride: r.email_invites_per_hour,
            })),
          ),
        );
      },
    });
  }),
);

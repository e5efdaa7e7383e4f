import {
  DELIVERY_STATUSES,
  EmailInviteStore,
  type EmailInviteWritten,
  RepositoryError,
  TARGET_TYPES,
} from "@admit/domain";
import type { EntityManager } from "@mikro-orm/postgresql";
import { Effect, Layer, Schema } from "effect";
import { type RawBuilder, sql } from "kysely";
import { heldTransactionOf } from "../heldTransaction.ts";
import { compiledOnce, decodeRows, makeRunCompiled } from "../kysely.ts";
import { CurrentEntityManager, Database } from "../sql.ts";
import { DeliveryJobs } from "./DeliveryJobs.ts";
import { EVENT_INSERT_COLUMNS, EVENT_VALUES, eventRecordset, eventRecordsetRows } from "./eventRows.ts";
import { pendingInviteColumns, upsertPendingInvites } from "./inviteRows.ts";
import {
  inviteRead,
  inviteReadColumns,
  inviteReadCtes,
  inviteReadFields,
  inviteReadLists,
  inviteReadValues,
} from "./targetRows.ts";

const EmailStateRow = Schema.Struct({
  ...inviteReadFields,
  pending: Schema.Array(
    Schema.Struct({
      type: Schema.Literals(TARGET_TYPES),
      id: Schema.String,
      inviteId: Schema.String,
      deliveryId: Schema.String,
      status: Schema.Literals(DELIVERY_STATUSES),
      sentAt: Schema.NullOr(Schema.DateFromString),
    }),
  ),
  organizations: Schema.Array(
    Schema.Struct({ id: Schema.String, allowedRedirectOrigins: Schema.Array(Schema.String) }),
  ),
});

const WrittenRow = Schema.Struct({
  delivered: Schema.Number,
  inviteIds: Schema.Array(Schema.String),
  over: Schema.Boolean,
  usage: Schema.Array(
    Schema.Struct({
      organizationId: Schema.String,
      used: Schema.Number,
      windowStartedAt: Schema.DateFromString,
      limitOverride: Schema.NullOr(Schema.Number),
    }),
  ),
});

/**
 * A statement written as text (pg-boss's) as a CTE: Kysely compiles a raw node as is, so the
 * parentheses are written here; its rows are read by raw SQL only, so it has no columns for Kysely.
 */
const rawCte = (statement: RawBuilder<unknown>) => (() => sql`(${statement})`) as never;

/** The job's part of a write (`DeliveryJobs.insert`), or none when no delivery is queued. */
interface JobParts {
  readonly insertIf: ((when: RawBuilder<unknown>) => RawBuilder<unknown>) | null;
  readonly notify: RawBuilder<unknown> | null;
  readonly shape: string;
  readonly values: ReadonlyArray<unknown>;
}

/** The status a delivery to renew must still have (a parameter of the renewal). */
const QUEUED = "queued";

const NO_JOB: JobParts = { insertIf: null, notify: null, shape: "none", values: [] };

export const EmailInviteStorePostgres = Layer.effect(
  EmailInviteStore,
  Effect.gen(function* () {
    const { orm, sealer } = yield* Database;
    const run = makeRunCompiled(orm);
    const jobs = yield* DeliveryJobs;
    const compiled = compiledOnce();
    return EmailInviteStore.of({
      // One statement, in the transaction serialized on the recipient (whose lock, taken before
      // this statement began, makes its snapshot see what the lock's previous holder committed):
      // the targets that exist, the role holder's memberships, the recipient's memberships and
      // pending invites to the targets (locked, in id order as every statement that locks several
      // invites does: they cannot be answered meanwhile) with their deliveries, and the
      // organizations' redirect origins. Invites and memberships are matched through the
      // recipient (an index on the email, or on the user) and the targets as "type:id" keys, which
      // no index serves: the invites of an organization with many are never walked.
      read: (query) => {
        const lists = inviteReadLists(query);
        return run((db) =>
          compiled("email.read", inviteReadValues(query, lists), () =>
            sql`with ${inviteReadCtes(query, lists)},
                   pending as (
                     select i.id, i.target_type, i.target_id, i.delivery_id from invites i
                     where i.email = ${query.email} and i.status = 'pending'
                       and i.target_type || ':' || i.target_id = any(${lists.keys}::text[])
                     order by i.id for update of i)
                 select ${inviteReadColumns(query, lists)},
                   coalesce((select json_agg(json_build_object('type', p.target_type, 'id', p.target_id,
                       'inviteId', p.id, 'deliveryId', d.id, 'status', d.status, 'sentAt', d.sent_at))
                     from pending p join deliveries d on d.id = p.delivery_id), '[]') as "pending",
                   coalesce((select json_agg(json_build_object('id', o.id,
                       'allowedRedirectOrigins', o.allowed_redirect_origins))
                     from organizations o where o.id in (select organization_id from resolved)), '[]') as "organizations"`.compile(
              db,
            ),
          ),
        ).pipe(
          Effect.flatMap((rows) => decodeRows(EmailStateRow)(rows)),
          Effect.map(([row]) => ({
            ...inviteRead(row),
            pending: (row?.pending ?? []).map((p) => ({
              target: { type: p.type, id: p.id },
              inviteId: p.inviteId,
              delivery: { id: p.deliveryId, status: p.status, sentAt: p.sentAt },
            })),
            organizations: row?.organizations ?? [],
          })),
        );
      },
      // The new delivery's job, then one statement. The delivery first: a new one is inserted; a
      // queued one to renew is locked (waiting for a worker sending it) and, only if still queued,
      // gets the new token while its old token's hash moves to a closed row that no invite points
      // at; unless that happened, nothing else is written. Then the invites (created, or replacing
      // the pending one in place), their events and the quota count of each organization (its
      // window row stays locked until the transaction ends, so counts of one organization queue
      // up and each sees the one before it).
      write: (plan) => {
        const { delivery: planned, invites, quota } = plan;
        const events = eventRecordset(plan.events.map((event) => ({ event })));
        // A new delivery's job is part of the statement (pg-boss's own insert, and its NOTIFY when
        // the queue has one): it exists only if the write commits, at no round trip of its own.
        const job: Effect.Effect<JobParts, RepositoryError> =
          planned._tag === "New"
            ? jobs.insert(planned.delivery.id, planned.delivery.startAfter)
            : Effect.succeed(NO_JOB);
        // Every value the statement takes as a parameter, for `compiledOnce` (the token sealed once,
        // here); the shape says which delivery branch it takes and what the job's part is.
        const sealed =
          planned._tag === "New"
            ? sealer.seal(planned.delivery.token)
            : planned._tag === "Renew"
              ? sealer.seal(planned.token.token)
              : null;
        const deliveryValues =
          planned._tag === "New"
            ? [
                planned.delivery.id,
                planned.delivery.email,
                planned.delivery.tokenHash,
                sealed,
                planned.delivery.inviterName,
                planned.delivery.kind,
              ]
            : planned._tag === "Renew"
              ? [planned.id, QUEUED, planned.token.hash, sealed]
              : [planned.id];
        const columns = pendingInviteColumns(invites);
        const now = quota.now.toISOString();
        const window = `${quota.windowMs} milliseconds`;
        const write = ({ insertIf, notify, shape, values: jobValues }: JobParts, em: EntityManager | null) => {
          const values = [
            ...deliveryValues,
            ...jobValues,
            ...columns,
            events,
            quota.organizationIds,
            now,
            window,
            quota.limit,
          ];
          return run((db) => {
            const ok = sql<boolean>`(select ok from ok)`;
            const statement = compiled(`email.write:${planned._tag}:${shape}`, values, () =>
              db
                // What the delivery needs: a queued one to renew, locked (a worker sending it is
                // waited for) and only while still queued; a new or reused one, nothing.
                .with(
                  "cur",
                  rawCte(
                    planned._tag === "Renew"
                      ? sql`select id, token_hash, email, inviter_name from deliveries
                          where id = ${planned.id} and status = ${QUEUED} for update`
                      : sql`select 1 as one`,
                  ),
                )
                .with("orgs", (db) =>
                  db
                    .selectFrom("organizations")
                    .select(["id", "email_invites_per_hour"])
                    .where("id", "=", sql<string>`any(${quota.organizationIds}::uuid[])`),
                )
                // Each organization's count, only within its limit: the conflicting row is locked
                // and its latest version compared (a concurrent count of the same organization is
                // waited for and seen), in organization order.
                .with("counted", (db) =>
                  db
                    .insertInto("email_quota_windows")
                    .columns(["organization_id", "window_started_at", "used"])
                    .expression(
                      sql`select id, ${now}::timestamptz, 1 from orgs where exists (select 1 from cur)
                        and coalesce(email_invites_per_hour, ${quota.limit}::int) >= 1 order by id`,
                    )
                    .onConflict((oc) =>
                      oc
                        .column("organization_id")
                        .doUpdateSet({
                          window_started_at: sql`case when email_quota_windows.window_started_at
                            <= excluded.window_started_at - ${window}::interval
                            then excluded.window_started_at else email_quota_windows.window_started_at end`,
                          used: sql`case when email_quota_windows.window_started_at
                            <= excluded.window_started_at - ${window}::interval
                            then 1 else email_quota_windows.used + 1 end`,
                        })
                        .where(
                          sql<boolean>`(case when email_quota_windows.window_started_at
                            <= excluded.window_started_at - ${window}::interval
                            then 1 else email_quota_windows.used + 1 end)
                            <= coalesce((select o.email_invites_per_hour from organizations o
                              where o.id = excluded.organization_id), ${quota.limit}::int)`,
                        ),
                    )
                    .returning(["organization_id", "used", "window_started_at"]),
                )
                // Everything else is written only if every organization counted the email.
                .with("ok", (db) =>
                  db.selectNoFrom(
                    sql<boolean>`exists (select 1 from cur)
                      and (select count(*) from counted) = (select count(*) from orgs)`.as("ok"),
                  ),
                )
                .with("dlv", (db) => {
                  switch (planned._tag) {
                    case "New": {
                      const d = planned.delivery;
                      return db
                        .insertInto("deliveries")
                        .columns(["id", "email", "token_hash", "token_sealed", "inviter_name", "kind"])
                        .expression(
                          sql`select ${d.id}::uuid, ${d.email}::text, decode(${d.tokenHash}::text, 'hex'),
                            ${sealed}::text, ${d.inviterName}::text, ${d.kind}::text where ${ok}`,
                        )
                        .returning("id");
                    }
                    case "Renew":
                      return db
                        .updateTable("deliveries")
                        .from(sql`cur`.as("cur") as never)
                        .set({
                          token_hash: sql`decode(${planned.token.hash}, 'hex')`,
                          token_sealed: sealed,
                        })
                        .whereRef("deliveries.id", "=", sql.ref("cur.id") as never)
                        .where(ok)
                        .returning([
                          "deliveries.id",
                          sql<Buffer>`cur.token_hash`.as("old_hash"),
                          sql<string>`cur.email`.as("old_email"),
                          sql<string>`cur.inviter_name`.as("old_inviter"),
                        ]) as never;
                    case "Reuse":
                      return db.selectNoFrom(sql<string>`${planned.id}::uuid`.as("id")).where(ok) as never;
                  }
                })
                .with("closed", (db) =>
                  db
                    .insertInto("deliveries")
                    .columns(["id", "email", "token_hash", "status", "last_error", "inviter_name", "kind"])
                    .expression(
                      planned._tag === "Renew"
                        ? sql`select gen_random_uuid(), old_email, old_hash, 'failed', 'superseded', old_inviter, 'invite'
                          from dlv`
                        : sql`select null::uuid, null, null::bytea, null, null, null, null where false`,
                    )
                    .returning("id"),
                )
                .with("job", rawCte(insertIf?.(ok) ?? sql`select null::uuid as id where false`))
                .with("job_notified", rawCte(notify ?? sql`select null where false`))
                .with("inv", (db) =>
                  upsertPendingInvites(db, invites, sql`exists (select 1 from dlv)`, columns).returning("id"),
                )
                .with("recorded", (db) =>
                  db
                    .insertInto("events")
                    .columns(EVENT_INSERT_COLUMNS)
                    .expression(
                      sql`select ${EVENT_VALUES} from ${eventRecordsetRows(events)} where exists (select 1 from dlv)`,
                    )
                    .returning("id"),
                )
                .selectNoFrom([
                  sql<number>`(select count(*)::int from dlv)`.as("delivered"),
                  sql<number>`(select count(*)::int from job) + (select count(*)::int from job_notified)`.as("queued"),
                  sql`coalesce((select json_agg(id) from inv), '[]')`.as("inviteIds"),
                  // Past a limit: each organization's count with this email, which for one that did
                  // not count it is past its limit (its own row, as this statement's snapshot saw
                  // it, may be older than the version compared).
                  sql<boolean>`exists (select 1 from cur) and not ${ok}`.as("over"),
                  sql`coalesce((select json_agg(json_build_object('organizationId', o.id,
                    'used', coalesce(c.used, greatest(coalesce(w.used, 0) + 1,
                      coalesce(o.email_invites_per_hour, ${quota.limit}::int) + 1)),
                    'windowStartedAt', coalesce(c.window_started_at, w.window_started_at, ${now}::timestamptz),
                    'limitOverride', o.email_invites_per_hour) order by o.id)
                    from orgs o left join counted c on c.organization_id = o.id
                    left join email_quota_windows w on w.organization_id = o.id
                    where not ${ok}), '[]')`.as("usage"),
                ])
                .compile(),
            );
            // New or reused, the delivery cannot be stale, and counting against one organization
            // the write is all or nothing: it is the transaction's last statement, and COMMIT
            // travels with it when the transaction allows it. The quota's row is then held for no
            // round trip.
            if (planned._tag !== "Renew" && quota.organizationIds.length <= 1 && em !== null)
              heldTransactionOf(em)?.commitWithNext();
            return statement;
          }).pipe(
            Effect.flatMap((rows) => decodeRows(WrittenRow)(rows)),
            Effect.flatMap(([row]): Effect.Effect<EmailInviteWritten, RepositoryError> => {
              if (row === undefined) return Effect.fail(new RepositoryError({ cause: new Error("no row") }));
              if (row.over) return Effect.succeed({ _tag: "OverQuota", usage: row.usage });
              if (row.delivered === 0) return Effect.succeed({ _tag: "Stale" });
              // The pending invites were read locked: each one replaced keeps the id it was planned with.
              const ids = new Set(invites.map((i) => i.id));
              if (row.inviteIds.length !== invites.length || row.inviteIds.some((id) => !ids.has(id))) {
                return Effect.fail(
                  new RepositoryError({ cause: new Error("invites: a pending invite moved meanwhile") }),
                );
              }
              return Effect.succeed({ _tag: "Written" });
            }),
          );
        };
        return Effect.flatMap(Effect.all([job, CurrentEntityManager]), ([parts, em]) => write(parts, em));
      },
    });
  }),
);

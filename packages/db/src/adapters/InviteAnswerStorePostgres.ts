import { type AnswerState, InviteAnswerStore, ROLES, TARGET_TYPES } from "@admit/domain";
import { Effect, Layer, Schema } from "effect";
import { sql } from "kysely";
import { compiledOnce, decodeRows, makeRunCompiled } from "../kysely.ts";
import { Database } from "../sql.ts";
import { EVENT_INSERT_COLUMNS, EVENT_VALUES, eventRecordset, eventRecordsetRows } from "./eventRows.ts";

const TargetType = Schema.Literals(TARGET_TYPES);
const Role = Schema.Literals(ROLES);

const AcceptRow = Schema.Struct({
  email: Schema.String,
  invites: Schema.Array(
    Schema.Struct({
      id: Schema.String,
      email: Schema.String,
      type: TargetType,
      targetId: Schema.String,
      organizationId: Schema.NullOr(Schema.String),
      role: Role,
      status: Schema.Literals(["pending", "accepted", "declined", "revoked"]),
      expiresAt: Schema.DateFromString,
      redirectUrl: Schema.NullOr(Schema.String),
      inviterKind: Schema.Literals(["root", "api_key", "user"]),
      inviterId: Schema.NullOr(Schema.String),
      version: Schema.String,
    }),
  ),
  userId: Schema.NullOr(Schema.String),
  recipientRoles: Schema.Array(Schema.Struct({ type: TargetType, id: Schema.String, role: Role })),
  keys: Schema.Array(
    Schema.Struct({
      id: Schema.String,
      kind: Schema.Literals(["global", "organization"]),
      organizationId: Schema.NullOr(Schema.String),
      revokedAt: Schema.NullOr(Schema.DateFromString),
    }),
  ),
  inviterRoles: Schema.Array(Schema.Struct({ userId: Schema.String, type: TargetType, id: Schema.String, role: Role })),
  organizations: Schema.Array(Schema.Struct({ id: Schema.String, appUrl: Schema.NullOr(Schema.String) })),
});

const WrittenRow = Schema.Struct({ users: Schema.Number });

export const InviteAnswerStorePostgres = Layer.effect(
  InviteAnswerStore,
  Effect.gen(function* () {
    const runCompiled = makeRunCompiled((yield* Database).orm);
    const compiled = compiledOnce();
    return InviteAnswerStore.of({
      // One statement: the delivery holding the token, its invites (in the order they were
      // written, as the scan of invites_delivery finds them) with their row version
      // (`xmin`, which every update of the row changes), the recipient's account and its
      // memberships on the invites' targets, the inviters'
      // keys and memberships (on the invites' targets and organizations), and the organizations'
      // app URLs.
      read: (tokenHash) =>
        runCompiled((db) =>
          compiled("accept.read", [tokenHash], () =>
            sql`with d as (select id, email from deliveries where token_hash = decode(${tokenHash}, 'hex')),
               inv as (select i.*, i.xmin::text as version from invites i where i.delivery_id = (select id from d)),
               u as (select id from users where email = (select email from d))
             select d.email,
               coalesce((select json_agg(json_build_object('id', i.id, 'email', i.email, 'type', i.target_type,
                   'targetId', i.target_id, 'organizationId', i.organization_id, 'role', i.role, 'status', i.status,
                   'expiresAt', i.expires_at, 'redirectUrl', i.redirect_url, 'inviterKind', i.inviter_kind,
                   'inviterId', i.inviter_id, 'version', i.version))
                 from inv i), '[]') as "invites",
               (select id from u) as "userId",
               coalesce((select json_agg(json_build_object('type', m.target_type, 'id', m.target_id, 'role', m.role))
                 from memberships m where m.user_id = (select id from u)
                   and (m.target_type, m.target_id) in (select target_type, target_id from inv)), '[]') as "recipientRoles",
               coalesce((select json_agg(json_build_object('id', k.id, 'kind', k.kind,
                   'organizationId', k.organization_id, 'revokedAt', k.revoked_at))
                 from api_keys k where k.id in (select inviter_id from inv where inviter_kind = 'api_key')), '[]') as "keys",
               coalesce((select json_agg(json_build_object('userId', m.user_id, 'type', m.target_type,
                   'id', m.target_id, 'role', m.role))
                 from memberships m where m.user_id in (select inviter_id from inv where inviter_kind = 'user')
                   and m.target_type || ':' || m.target_id in (
                     select target_type || ':' || target_id from inv
                     union all select 'organization:' || organization_id from inv where organization_id is not null)
               ), '[]') as "inviterRoles",
               coalesce((select json_agg(json_build_object('id', o.id, 'appUrl', o.app_url))
                 from organizations o where o.id in (select organization_id from inv)), '[]') as "organizations"
             from d`.compile(db),
          ),
        ).pipe(
          Effect.flatMap(decodeRows(AcceptRow)),
          Effect.map(([row]): AnswerState | null =>
            row === undefined
              ? null
              : {
                  email: row.email,
                  invites: row.invites.map((i) => ({
                    id: i.id,
                    email: i.email,
                    target: { type: i.type, id: i.targetId, organizationId: i.organizationId },
                    role: i.role,
                    status: i.status,
                    expiresAt: i.expiresAt,
                    redirectUrl: i.redirectUrl,
                    inviter: { kind: i.inviterKind, id: i.inviterId },
                    version: i.version,
                  })),
                  user: row.userId === null ? null : { id: row.userId },
                  recipientRoles: row.recipientRoles.map((m) => ({ target: { type: m.type, id: m.id }, role: m.role })),
                  grantors: {
                    keys: row.keys,
                    userRoles: row.inviterRoles.map((m) => ({
                      userId: m.userId,
                      target: { type: m.type, id: m.id },
                      role: m.role,
                    })),
                  },
                  organizations: row.organizations,
                },
          ),
        ),
      // One statement. It first locks the answered invites that are still pending at the version
      // read (a lock that waited for a concurrent change sees the changed row, whose version
      // differs); unless that is every one of them, nothing else is written. Then: the user when
      // accepting (a new one only if no user has the email by now, else nothing is written
      // either), the answers, the memberships missing, and the events (a membership's only if it
      // was added).
      write: (plan) => {
        const { user } = plan;
        const answers = JSON.stringify(plan.answers.map((a) => ({ id: a.id, version: a.version, status: a.status })));
        const ids = plan.answers.map((a) => a.id);
        const events = eventRecordset(plan.events);
        const grantTypes = plan.grants.map((g) => g.target.type);
        const grantIds = plan.grants.map((g) => g.target.id);
        const grantRoles = plan.grants.map((g) => g.role);
        const pending = "pending";
        // Every value the statement takes as a parameter, for `compiledOnce`; the shape says
        // which account branch it takes.
        const values = [
          answers,
          ids,
          plan.answers.length,
          pending,
          user?.id,
          user?.email,
          user?.firstName,
          user?.lastName,
          grantTypes,
          grantIds,
          grantRoles,
          events,
        ];
        return runCompiled((db) =>
          compiled(`accept.write:${user === null ? "none" : user.existing}`, values, () =>
            db
              .with(
                "answer",
                () =>
                  sql<{ id: string; version: string; status: string }>`(select * from
                jsonb_to_recordset(${answers}::jsonb) as p(id uuid, version text, status text))`,
              )
              .with("locked", (db) =>
                db
                  .selectFrom("invites")
                  .innerJoin("answer", "answer.id", "invites.id")
                  .select("invites.id")
                  // By primary key: the planner cannot size the recordset and would rather scan.
                  .where("invites.id", "=", sql<string>`any(${ids}::uuid[])`)
                  .where("invites.status", "=", pending)
                  .where((eb) => eb(sql<string>`invites.xmin::text`, "=", eb.ref("answer.version")))
                  // In id order, as every statement that locks several invites does: no deadlock.
                  .orderBy("invites.id")
                  .forUpdate("invites"),
              )
              .with("ok", (db) =>
                db.selectFrom("locked").select(sql<boolean>`count(*) = ${plan.answers.length}`.as("ok")),
              )
              .with("usr", (db) =>
                user === null
                  ? // Declining touches no account: one row (no user) when the invites are as read.
                    db.selectFrom("ok").select(sql<string>`null::uuid`.as("id")).where("ok", "=", true)
                  : user.existing
                    ? db
                        .updateTable("users")
                        .set({
                          email_verified: true,
                          first_name: sql`coalesce(users.first_name, ${user.firstName})`,
                          last_name: sql`coalesce(users.last_name, ${user.lastName})`,
                        })
                        .where("id", "=", user.id)
                        .where((eb) => eb.exists(eb.selectFrom("ok").select("ok").where("ok", "=", true)))
                        .returning("id")
                    : db
                        .insertInto("users")
                        .columns(["id", "email", "first_name", "last_name", "email_verified"])
                        .expression((eb) =>
                          eb
                            .selectFrom("ok")
                            .select([
                              sql<string>`${user.id}::uuid`.as("id"),
                              sql<string>`${user.email}`.as("email"),
                              sql<string | null>`${user.firstName}::text`.as("first_name"),
                              sql<string | null>`${user.lastName}::text`.as("last_name"),
                              sql<boolean>`true`.as("email_verified"),
                            ])
                            .where("ok", "=", true),
                        )
                        .onConflict((oc) => oc.column("email").doNothing())
                        .returning("id"),
              )
              .with("answered", (db) =>
                db
                  .updateTable("invites")
                  .from("answer")
                  .set({
                    status: sql`answer.status`,
                    responded_at: sql`now()`,
                    updated_at: sql`now()`,
                    accepted_user_id: sql`case when answer.status = 'accepted' then (select id from usr) end`,
                  })
                  .whereRef("invites.id", "=", "answer.id")
                  .where("invites.id", "=", sql<string>`any(${ids}::uuid[])`)
                  .where((eb) => eb.exists(eb.selectFrom("usr").select("id")))
                  .returning("invites.id"),
              )
              .with("added", (db) =>
                db
                  .insertInto("memberships")
                  .columns(["id", "user_id", "target_type", "target_id", "role", "sso"])
                  .expression(
                    sql`select gen_random_uuid(), usr.id, g.type, g.id, g.role, false
                      from usr, unnest(${grantTypes}::text[], ${grantIds}::uuid[],
                        ${grantRoles}::text[]) as g(type, id, role)`,
                  )
                  .onConflict((oc) => oc.columns(["target_type", "target_id", "user_id"]).doNothing())
                  .returning(["target_type", "target_id"]),
              )
              .with("recorded", (db) =>
                db
                  .insertInto("events")
                  .columns(EVENT_INSERT_COLUMNS)
                  .expression(
                    sql`select ${EVENT_VALUES} from ${eventRecordsetRows(events)}
                      where exists (select 1 from usr) and (e.added_type is null or exists (
                        select 1 from added a where a.target_type = e.added_type and a.target_id = e.added_id))`,
                  )
                  .returning("id"),
              )
              .selectFrom("usr")
              .select(sql<number>`count(*)::int`.as("users"))
              .compile(),
          ),
        ).pipe(
          Effect.flatMap(decodeRows(WrittenRow)),
          Effect.map(([row]) => (row?.users ?? 0) > 0),
        );
      },
    });
  }),
);

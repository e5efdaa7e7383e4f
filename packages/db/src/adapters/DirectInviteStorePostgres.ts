import { DirectInviteStore, type DirectInviteWritten, type Target } from "@admit/domain";
import { Effect, Layer, Schema } from "effect";
import { sql } from "kysely";
import { compiledOnce, decodeRows, makeRun } from "../kysely.ts";
import { Database } from "../sql.ts";
import { EVENT_INSERT_COLUMNS, EVENT_VALUES, eventRecordset, eventRecordsetRows } from "./eventRows.ts";
import {
  inviteRead,
  inviteReadColumns,
  inviteReadCtes,
  inviteReadFields,
  inviteReadLists,
  inviteReadValues,
  TargetRow,
} from "./targetRows.ts";

const DirectStateRow = Schema.Struct({ ...inviteReadFields, inviteeId: Schema.NullOr(Schema.String) });

const WrittenRow = Schema.Struct({ users: Schema.Number, added: Schema.Array(TargetRow) });

export const DirectInviteStorePostgres = Layer.effect(
  DirectInviteStore,
  Effect.gen(function* () {
    const run = makeRun((yield* Database).orm);
    const compiled = compiledOnce();
    return DirectInviteStore.of({
      // One statement: the targets that exist, the role holder's memberships on them and their
      // organizations, the invitee and the invitee's memberships on them. Memberships are matched
      // through the user (memberships_user) and the targets as "type:id" keys, which no index
      // serves, so the planner never walks every member of a large organization.
      read: (query) => {
        const lists = inviteReadLists(query);
        return run((db) =>
          db.executeQuery(
            compiled("direct.read", inviteReadValues(query, lists), () =>
              sql`with ${inviteReadCtes(query, lists)}
                  select ${inviteReadColumns(query, lists)}, (select id from invitee) as "inviteeId"`.compile(db),
            ),
          ),
        ).pipe(
          Effect.flatMap((result) => decodeRows(DirectStateRow)(result.rows)),
          Effect.map(([row]) => ({ ...inviteRead(row), invitee: row?.inviteeId ? { id: row.inviteeId } : null })),
        );
      },
      // One statement. A new user is inserted only if no user has the email (else nothing at all
      // is written: the plan is stale); memberships are added where missing, and each grant's
      // event is written exactly when its membership was added; an existing user's missing names
      // are filled in (with `requireGrant`, only if a membership was added).
      write: (plan) => {
        const { user } = plan;
        const types = plan.grants.map((g) => g.target.type);
        const ids = plan.grants.map((g) => g.target.id);
        const events = eventRecordset(plan.grants.map((g) => ({ event: g.event, whenAdded: g.target })));
        // Every value the statement takes as a parameter, for `compiledOnce`; what else decides
        // its text is in the shape.
        const named = user.existing && (user.firstName !== null || user.lastName !== null);
        const values = [user.id, user.email, user.firstName, user.lastName, plan.role, types, ids, events, named];
        return run((db) =>
          db.executeQuery(
            compiled(`direct.write:${user.existing}:${plan.requireGrant}`, values, () =>
              db
                .with("usr", (db) =>
                  user.existing
                    ? db.selectNoFrom(sql<string>`${user.id}::uuid`.as("id"))
                    : db
                        .insertInto("users")
                        .values({
                          id: user.id,
                          email: user.email,
                          first_name: user.firstName,
                          last_name: user.lastName,
                        })
                        .onConflict((oc) => oc.column("email").doNothing())
                        .returning("id"),
                )
                .with("added", (db) =>
                  db
                    .insertInto("memberships")
                    .columns(["id", "user_id", "target_type", "target_id", "role", "sso"])
                    .expression(
                      sql`select gen_random_uuid(), usr.id, t.type, t.id, ${plan.role}, false
                      from usr, unnest(${types}::text[], ${ids}::uuid[]) as t(type, id)`,
                    )
                    .onConflict((oc) => oc.columns(["target_type", "target_id", "user_id"]).doNothing())
                    .returning(["target_type", "target_id"]),
                )
                .with("named", (db) =>
                  db
                    .updateTable("users")
                    .set({
                      first_name: sql`coalesce(users.first_name, ${user.firstName})`,
                      last_name: sql`coalesce(users.last_name, ${user.lastName})`,
                    })
                    .where("id", "=", user.id)
                    .where(sql<boolean>`${named}::boolean`)
                    .where((eb) =>
                      plan.requireGrant ? eb.exists(eb.selectFrom("added").select("target_id")) : sql<boolean>`true`,
                    )
                    .returning("id"),
                )
                .with("recorded", (db) =>
                  db
                    .insertInto("events")
                    .columns(EVENT_INSERT_COLUMNS)
                    .expression(
                      sql`select ${EVENT_VALUES} from ${eventRecordsetRows(events)}
                      join added a on a.target_type = e.added_type and a.target_id = e.added_id`,
                    )
                    .returning("id"),
                )
                .selectNoFrom((eb) => [
                  eb.selectFrom("usr").select(sql<number>`count(*)::int`.as("n")).as("users"),
                  sql`coalesce((select json_agg(json_build_object('type', a.target_type, 'id', a.target_id)) from added a),
                  '[]')`.as("added"),
                ])
                .compile(),
            ),
          ),
        ).pipe(
          Effect.flatMap((result) => decodeRows(WrittenRow)(result.rows)),
          Effect.map(([row]): DirectInviteWritten => {
            const added: ReadonlyArray<Target> = row?.added ?? [];
            if ((row?.users ?? 0) === 0 || (plan.requireGrant && added.length === 0)) return { _tag: "Stale" };
            return { _tag: "Written", added };
          }),
        );
      },
    });
  }),
);

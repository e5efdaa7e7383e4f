import { MembershipRepository, type Target } from "@admit/domain";
import { Effect, Layer } from "effect";
import { sql } from "kysely";
import { booleans, makeRun, texts, uuids } from "../kysely.ts";
import { Database } from "../sql.ts";
import { keysetPage, toPage } from "./paging.ts";

/** The targets as two parallel array parameters, for `unnest(types, ids) as t(type, id)`. */
const unnestTargets = (targets: ReadonlyArray<Target>) =>
  sql`unnest(${texts(targets.map((t) => t.type))}, ${uuids(targets.map((t) => t.id))})`;

/** The columns of a `MemberView`, from `memberships` joined with `users`. */
const MEMBER_VIEW = [
  "memberships.user_id as userId",
  "users.email",
  "memberships.role",
  "memberships.sso",
  "memberships.created_at as createdAt",
] as const;

export const MembershipRepositoryPostgres = Layer.effect(
  MembershipRepository,
  Effect.gen(function* () {
    const run = makeRun((yield* Database).orm);
    return MembershipRepository.of({
      addMany: (userId, targets, role, sso) =>
        run((db) =>
          db
            .insertInto("memberships")
            .columns(["id", "user_id", "target_type", "target_id", "role", "sso"])
            .expression(
              sql`select gen_random_uuid(), ${userId}::uuid, t.type, t.id, ${role}::text, ${sso}::boolean
                  from ${unnestTargets(targets)} as t(type, id)`,
            )
            .onConflict((oc) => oc.columns(["target_type", "target_id", "user_id"]).doNothing())
            .returning(["target_type as type", "target_id as id"])
            .execute(),
        ),
      addUsers: (target, members) =>
        run((db) =>
          db
            .insertInto("memberships")
            .columns(["id", "user_id", "target_type", "target_id", "role", "sso"])
            .expression(
              sql`select gen_random_uuid(), m.user_id, ${target.type}::text, ${target.id}::uuid, m.role, m.sso
                  from unnest(${uuids(members.map((m) => m.userId))}, ${texts(members.map((m) => m.role))},
                              ${booleans(members.map((m) => m.sso))}) as m(user_id, role, sso)`,
            )
            .onConflict((oc) => oc.columns(["target_type", "target_id", "user_id"]).doNothing())
            .returning("user_id")
            .execute(),
        ).pipe(Effect.map((rows) => rows.map((r) => r.user_id))),
      inOtherOrganizations: (userIds, organizationId) =>
        run((db) =>
          db
            .selectFrom("memberships")
            .select("user_id")
            .distinct()
            .where((eb) => eb("user_id", "=", eb.fn.any(uuids(userIds))))
            .where("target_type", "=", "organization")
            .where("target_id", "<>", organizationId)
            .execute(),
        ).pipe(Effect.map((rows) => rows.map((r) => r.user_id))),
      // Driven by the user, through memberships_user: matching the targets as "type:id" keys, which
      // no index serves, keeps the planner from walking every member of a large organization when
      // its statistics lag behind (that plan cost ~200 ms an email invite at 5,000 members).
      memberTargetsByEmail: (email, targets) =>
        run((db) =>
          db
            .selectFrom("memberships")
            .select(["target_type as type", "target_id as id"])
            .where("user_id", "=", (eb) => eb.selectFrom("users").select("id").where("email", "=", email))
            .where(
              (eb) =>
                sql<boolean>`${eb.ref("target_type")} || ':' || ${eb.ref("target_id")}
                  in (select t.type || ':' || t.id from ${unnestTargets(targets)} as t(type, id))`,
            )
            .execute(),
        ),
      rolesOn: (userId, targets) =>
        run((db) =>
          db
            .selectFrom("memberships")
            .select(["target_type", "target_id", "role"])
            .where("user_id", "=", userId)
            .where(
              (eb) =>
                sql<boolean>`(${eb.ref("target_type")}, ${eb.ref("target_id")}) in (select * from ${unnestTargets(targets)})`,
            )
            .execute(),
        ).pipe(
          Effect.map((rows) => rows.map((r) => ({ target: { type: r.target_type, id: r.target_id }, role: r.role }))),
        ),
      roleOf: (target, userId, options) =>
        run((db) =>
          db
            .selectFrom("memberships")
            .select("role")
            .where("target_type", "=", target.type)
            .where("target_id", "=", target.id)
            .where("user_id", "=", userId)
            .$if(options?.lock === true, (qb) => qb.forUpdate())
            .executeTakeFirst(),
        ).pipe(Effect.map((row) => row?.role ?? null)),
      updateRole: (target, userId, role) =>
        run((db) =>
          db
            .updateTable("memberships")
            .set({ role })
            .from("users")
            .whereRef("users.id", "=", "memberships.user_id")
            .where("memberships.target_type", "=", target.type)
            .where("memberships.target_id", "=", target.id)
            .where("memberships.user_id", "=", userId)
            .returning(MEMBER_VIEW)
            .executeTakeFirst(),
        ).pipe(Effect.map((row) => row ?? null)),
      remove: (target, userId) =>
        run((db) =>
          db
            .deleteFrom("memberships")
            .using("users")
            .whereRef("users.id", "=", "memberships.user_id")
            .where("memberships.target_type", "=", target.type)
            .where("memberships.target_id", "=", target.id)
            .where("memberships.user_id", "=", userId)
            .returning(MEMBER_VIEW)
            .executeTakeFirst(),
        ).pipe(Effect.map((row) => row ?? null)),
      list: (target, page) =>
        run((db) =>
          db
            .selectFrom("memberships")
            .innerJoin("users", "users.id", "memberships.user_id")
            .select(["memberships.id", ...MEMBER_VIEW])
            .where("memberships.target_type", "=", target.type)
            .where("memberships.target_id", "=", target.id)
            .$call(keysetPage(page, "memberships"))
            .execute(),
        ).pipe(Effect.map((rows) => toPage(rows, page, ({ id: _, ...member }) => member))),
    });
  }),
);

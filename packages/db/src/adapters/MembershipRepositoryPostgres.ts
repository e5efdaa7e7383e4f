import { MembershipRepository, type MemberView, type Role, type Target, type TargetType } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, date, makeQuery, pgArray } from "../sql.ts";
import { keyset, toPage } from "./paging.ts";

const targetRows = (rows: ReadonlyArray<Record<string, unknown>>): Target[] =>
  rows.map((r) => ({ type: r.targetType as TargetType, id: String(r.targetId) }));

const memberView = (r: Record<string, unknown>): MemberView => ({
  userId: String(r.userId),
  email: String(r.email),
  role: r.role as Role,
  sso: r.sso === true,
  createdAt: date(r.createdAt),
});

export const MembershipRepositoryPostgres = Layer.effect(
  MembershipRepository,
  Effect.gen(function* () {
    const query = makeQuery((yield* Database).orm);
    return MembershipRepository.of({
      addMany: (userId, targets, role, sso) =>
        query(
          `insert into memberships (id, user_id, target_type, target_id, role, sso)
           select gen_random_uuid(), ?::uuid, t.type, t.id, ?, ?
           from unnest(?::text[], ?::uuid[]) as t(type, id)
           on conflict (target_type, target_id, user_id) do nothing
           returning target_type as "targetType", target_id as "targetId"`,
          [userId, role, sso, pgArray(targets.map((t) => t.type)), pgArray(targets.map((t) => t.id))],
        ).pipe(Effect.map(targetRows)),
      addUsers: (target, members) =>
        query(
          `insert into memberships (id, user_id, target_type, target_id, role, sso)
           select gen_random_uuid(), m.user_id, ?, ?::uuid, m.role, m.sso
           from unnest(?::uuid[], ?::text[], ?::boolean[]) as m(user_id, role, sso)
           on conflict (target_type, target_id, user_id) do nothing
           returning user_id as "userId"`,
          [
            target.type,
            target.id,
            pgArray(members.map((m) => m.userId)),
            pgArray(members.map((m) => m.role)),
            pgArray(members.map((m) => m.sso)),
          ],
        ).pipe(Effect.map((rows) => rows.map((r) => String(r.userId)))),
      inOtherOrganizations: (userIds, organizationId) =>
        query(
          `select distinct user_id as "userId" from memberships
           where user_id = any(?::uuid[]) and target_type = 'organization' and target_id <> ?::uuid`,
          [pgArray(userIds), organizationId],
        ).pipe(Effect.map((rows) => rows.map((r) => String(r.userId)))),
      // Driven by the user, through memberships_user: matching the targets as "type:id" keys, which
      // no index serves, keeps the planner from walking every member of a large organization when
      // its statistics lag behind (that plan cost ~200 ms an email invite at 5,000 members).
      memberTargetsByEmail: (email, targets) =>
        query(
          `select m.target_type as "targetType", m.target_id as "targetId" from memberships m
           where m.user_id = (select id from users where email = ?)
             and m.target_type || ':' || m.target_id
               in (select t.type || ':' || t.id from unnest(?::text[], ?::uuid[]) as t(type, id))`,
          [email, pgArray(targets.map((t) => t.type)), pgArray(targets.map((t) => t.id))],
        ).pipe(Effect.map(targetRows)),
      rolesOn: (userId, targets) =>
        query(
          `select target_type as "targetType", target_id as "targetId", role from memberships
           where user_id = ?::uuid and (target_type, target_id) in (select * from unnest(?::text[], ?::uuid[]))`,
          [userId, pgArray(targets.map((t) => t.type)), pgArray(targets.map((t) => t.id))],
        ).pipe(
          Effect.map((rows) =>
            rows.map((r) => ({
              target: { type: r.targetType as TargetType, id: String(r.targetId) },
              role: r.role as Role,
            })),
          ),
        ),
      roleOf: (target, userId) =>
        query("select role from memberships where target_type = ? and target_id = ?::uuid and user_id = ?::uuid", [
          target.type,
          target.id,
          userId,
        ]).pipe(Effect.map(([row]) => (row ? (row.role as Role) : null))),
      updateRole: (target, userId, role) =>
        query(
          `update memberships m set role = ? from users u
           where u.id = m.user_id and m.target_type = ? and m.target_id = ?::uuid and m.user_id = ?::uuid
           returning m.user_id as "userId", u.email, m.role, m.sso, m.created_at as "createdAt"`,
          [role, target.type, target.id, userId],
        ).pipe(Effect.map(([row]) => (row ? memberView(row) : null))),
      remove: (target, userId) =>
        query(
          "delete from memberships where target_type = ? and target_id = ?::uuid and user_id = ?::uuid returning id",
          [target.type, target.id, userId],
        ).pipe(Effect.map((rows) => rows.length > 0)),
      list: (target, page) => {
        const k = keyset(page, "m");
        return query(
          `select m.id, m.user_id as "userId", u.email, m.role, m.sso, m.created_at as "createdAt"
           from memberships m join users u on u.id = m.user_id
           where m.target_type = ? and m.target_id = ?::uuid and ${k.where} ${k.order}`,
          [target.type, target.id, ...k.params],
        ).pipe(Effect.map((rows) => toPage(rows, page, memberView)));
      },
    });
  }),
);

import { type HeldRole, type ResolvedTarget, ROLES, TARGET_TYPES, type Target } from "@admit/domain";
import { Schema } from "effect";
import { type RawBuilder, sql } from "kysely";
import { ownerColumn, TARGET_TABLES } from "./targets.ts";

/**
 * The targets among `targets` that exist, as rows `(type, id, organization_id)`: one select per
 * kind of target (from the table of targets), joined by `union all`.
 */
export const resolvedTargets = (
  targets: ReadonlyArray<Target>,
  idsByType: ReadonlyArray<ReadonlyArray<string>> = targetIdsByType(targets),
): RawBuilder<unknown> =>
  sql.join(
    TARGET_TYPES.map(
      (type, i) =>
        sql`select ${type}::text as type, t.id, ${sql.raw(ownerColumn(type, "t"))} as organization_id
            from ${sql.table(TARGET_TABLES[type])} t
            where t.id = any(${idsByType[i]}::uuid[])`,
    ),
    sql` union all `,
  );

/** The ids of `targets` of each kind, in the order of `TARGET_TYPES`. */
export const targetIdsByType = (targets: ReadonlyArray<Target>): ReadonlyArray<ReadonlyArray<string>> =>
  TARGET_TYPES.map((type) => targets.filter((x) => x.type === type).map((x) => x.id));

/** Targets as `type:id` keys, the form the membership lookups match on. */
export const targetKeys = (targets: ReadonlyArray<Target>): string[] => targets.map((t) => `${t.type}:${t.id}`);

const TargetType = Schema.Literals(TARGET_TYPES);

/** A target, as the reads' JSON columns give it. */
export const TargetRow = Schema.Struct({ type: TargetType, id: Schema.String });

const ResolvedRow = Schema.Struct({
  type: TargetType,
  id: Schema.String,
  organizationId: Schema.NullOr(Schema.String),
});
const HolderRoleRow = Schema.Struct({ type: TargetType, id: Schema.String, role: Schema.Literals(ROLES) });

/** What an invite read (direct or email) is asked: the invitee's email, the targets, the role holder. */
export interface InviteReadQuery {
  readonly email: string;
  readonly targets: ReadonlyArray<Target>;
  readonly roleHolder: string | null;
}

/** The lists an invite read sends as parameters, made once so that a caller can name them (`compiledOnce`). */
export interface InviteReadLists {
  readonly idsByType: ReadonlyArray<ReadonlyArray<string>>;
  readonly keys: ReadonlyArray<string>;
}

export const inviteReadLists = (query: InviteReadQuery): InviteReadLists => ({
  idsByType: targetIdsByType(query.targets),
  keys: targetKeys(query.targets),
});

/** Every value an invite read takes as a parameter, for `compiledOnce`. */
export const inviteReadValues = (query: InviteReadQuery, lists: InviteReadLists): ReadonlyArray<unknown> => [
  ...TARGET_TYPES,
  ...lists.idsByType,
  query.email,
  query.roleHolder,
  lists.keys,
];

/**
 * The CTEs an invite read starts with: `resolved`, the targets that exist (`resolvedTargets`), and
 * `invitee`, the user with the email (if any).
 */
export const inviteReadCtes = (
  query: InviteReadQuery,
  lists: InviteReadLists = inviteReadLists(query),
): RawBuilder<unknown> =>
  sql`resolved as (${resolvedTargets(query.targets, lists.idsByType)}),
      invitee as (select id from users where email = ${query.email})`;

/**
 * The columns every invite read selects over `inviteReadCtes`, as JSON arrays: `resolved`;
 * `holderRoles`, the role holder's memberships on those targets and their organizations (none
 * without a role holder); `memberOf`, the targets where the invitee is a member. Memberships are
 * matched through the user (memberships_user) and the targets as "type:id" keys, which no index
 * serves, so the planner never walks every member of a large organization.
 */
export const inviteReadColumns = (
  query: InviteReadQuery,
  lists: InviteReadLists = inviteReadLists(query),
): RawBuilder<unknown> =>
  sql`coalesce((select json_agg(json_build_object('type', r.type, 'id', r.id,
        'organizationId', r.organization_id)) from resolved r), '[]') as "resolved",
      coalesce((select json_agg(json_build_object('type', m.target_type, 'id', m.target_id, 'role', m.role))
        from memberships m where m.user_id = ${query.roleHolder}::uuid
          and m.target_type || ':' || m.target_id in (
            select type || ':' || id from resolved
            union all select 'organization:' || organization_id from resolved where organization_id is not null)
      ), '[]') as "holderRoles",
      coalesce((select json_agg(json_build_object('type', m.target_type, 'id', m.target_id))
        from memberships m where m.user_id = (select id from invitee)
          and m.target_type || ':' || m.target_id = any(${lists.keys}::text[])
      ), '[]') as "memberOf"`;

/** The fields of `inviteReadColumns`, for the schema of a read's row. */
export const inviteReadFields = {
  resolved: Schema.Array(ResolvedRow),
  holderRoles: Schema.Array(HolderRoleRow),
  memberOf: Schema.Array(TargetRow),
};

/** The state `inviteReadColumns` gives, as the domain reads it. */
export const inviteRead = (
  row: Schema.Struct.Type<typeof inviteReadFields> | undefined,
): {
  resolved: ReadonlyArray<ResolvedTarget>;
  holderRoles: ReadonlyArray<HeldRole>;
  memberOf: ReadonlyArray<Target>;
} => ({
  resolved: row?.resolved ?? [],
  holderRoles: (row?.holderRoles ?? []).map((m) => ({ target: { type: m.type, id: m.id }, role: m.role })),
  memberOf: row?.memberOf ?? [],
});

import { type HeldRole, ROLES, TARGET_TYPES, type Target } from "@admit/domain";
import { Schema } from "effect";
import { type RawBuilder, sql } from "kysely";
import { ownerColumn, TARGET_TABLES } from "./targets.ts";

/**
 * The targets among `targets` that exist, as rows `(type, id, organization_id)`: one select per
 * kind of target (from the table of targets), joined by `union all`.
 */
export const resolvedTargets = (targets: ReadonlyArray<Target>): RawBuilder<unknown> =>
  sql.join(
    TARGET_TYPES.map(
      (type) =>
        sql`select ${type}::text as type, t.id, ${sql.raw(ownerColumn(type, "t"))} as organization_id
            from ${sql.table(TARGET_TABLES[type])} t
            where t.id = any(${targets.filter((x) => x.type === type).map((x) => x.id)}::uuid[])`,
    ),
    sql` union all `,
  );

/** Targets as `type:id` keys, the form the membership lookups match on. */
export const targetKeys = (targets: ReadonlyArray<Target>): string[] => targets.map((t) => `${t.type}:${t.id}`);

const TargetType = Schema.Literals(TARGET_TYPES);

/** A target, as the reads' JSON columns give it. */
export const TargetRow = Schema.Struct({ type: TargetType, id: Schema.String });

/** A row of `resolvedTargets`, as `resolvedJson` gives it. */
export const ResolvedRow = Schema.Struct({
  type: TargetType,
  id: Schema.String,
  organizationId: Schema.NullOr(Schema.String),
});

/** A membership of the role holder, as `holderRolesJson` gives it. */
export const HolderRoleRow = Schema.Struct({ type: TargetType, id: Schema.String, role: Schema.Literals(ROLES) });

/** The rows of a `resolved` CTE (`resolvedTargets`), as a JSON array of `ResolvedRow`. */
export const resolvedJson: RawBuilder<unknown> = sql`coalesce((select json_agg(json_build_object('type', r.type,
  'id', r.id, 'organizationId', r.organization_id)) from resolved r), '[]')`;

/**
 * The memberships of `roleHolder` on the `resolved` targets and on their organizations, as a JSON
 * array of `HolderRoleRow` (empty without a role holder). Matched through the user's index and the
 * targets as "type:id" keys, which no index serves: a large organization's members are never walked.
 */
export const holderRolesJson = (roleHolder: string | null): RawBuilder<unknown> =>
  sql`coalesce((select json_agg(json_build_object('type', m.target_type, 'id', m.target_id, 'role', m.role))
    from memberships m where m.user_id = ${roleHolder}::uuid
      and m.target_type || ':' || m.target_id in (
        select type || ':' || id from resolved
        union all select 'organization:' || organization_id from resolved where organization_id is not null)
  ), '[]')`;

/** The memberships of the user of an `invitee` CTE (`select id`) on `targets`, as a JSON array of `TargetRow`. */
export const inviteeMembershipsJson = (targets: ReadonlyArray<Target>): RawBuilder<unknown> =>
  sql`coalesce((select json_agg(json_build_object('type', m.target_type, 'id', m.target_id))
    from memberships m where m.user_id = (select id from invitee)
      and m.target_type || ':' || m.target_id = any(${targetKeys(targets)}::text[])
  ), '[]')`;

/** `HolderRoleRow`s as the domain's held roles. */
export const heldRoles = (rows: ReadonlyArray<typeof HolderRoleRow.Type>): ReadonlyArray<HeldRole> =>
  rows.map((m) => ({ target: { type: m.type, id: m.id }, role: m.role }));

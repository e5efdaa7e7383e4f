import { TARGET_TYPES, type Target } from "@admit/domain";
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

import { TARGET_TYPES, TARGETS, type TargetType } from "@admit/domain";
import { type RawBuilder, sql } from "kysely";
import { type DB, type Sql, uuids } from "../kysely.ts";

/**
 * The table of each kind of target. Typed over every `TargetType`, so a new kind fails the type
 * check here until its table is named; the statements below are built from it.
 */
export const TARGET_TABLES = {
  organization: "organizations",
  website: "websites",
  group: "groups",
} as const satisfies Record<TargetType, keyof DB>;

type Owner<T extends TargetType> = (typeof TARGETS)[T]["owner"];
type Columns<T extends TargetType> = keyof DB[(typeof TARGET_TABLES)[T]];

/**
 * The column of each kind's table naming the organization a row belongs to, as the descriptor's
 * `owner` says: its own id, its `organization_id`, or none. Typed from both, so a changed owner or
 * a renamed column fails the type check here.
 */
const OWNER_COLUMN: {
  [T in TargetType]: Owner<T> extends "itself"
    ? "id" & Columns<T>
    : Owner<T> extends "organization"
      ? "organization_id" & Columns<T>
      : null;
} = { organization: "id", website: "organization_id", group: null };

/** The kinds of target that belong to no organization. */
export const UNOWNED_TYPES: ReadonlyArray<TargetType> = TARGET_TYPES.filter((t) => TARGETS[t].owner === "none");

/** The SQL naming a target row's organization, for a row of `type`'s table under `alias`. */
export const ownerColumn = (type: TargetType, alias: string): string => {
  const column = OWNER_COLUMN[type];
  return column === null ? "null::uuid" : `${alias}.${column}`;
};

const ownerOf = (type: TargetType): RawBuilder<string | null> => {
  const column = OWNER_COLUMN[type];
  return column === null ? sql`null::uuid` : sql`${sql.ref(`${TARGET_TABLES[type]}.${column}`)}`;
};

/**
 * The targets of one kind among `ids`: kind, id, name and the organization each belongs to. Every
 * kind's statement has these columns, so they combine with `union all`.
 */
export const targetsOfType = (db: Sql, type: TargetType, ids: ReadonlyArray<string>) =>
  db
    .selectFrom(TARGET_TABLES[type])
    .select([sql.lit(type).as("type"), "id", "name", ownerOf(type).as("organizationId")])
    .where((eb) => eb("id", "=", eb.fn.any(uuids(ids))));

/** The targets of every kind among `targets`, in one statement (one `union all` branch a kind). */
export const targetsOfEveryType = (db: Sql, targets: ReadonlyArray<{ type: TargetType; id: string }>) =>
  TARGET_TYPES.map((type) =>
    targetsOfType(
      db,
      type,
      targets.filter((t) => t.type === type).map((t) => t.id),
    ),
  ).reduce((all, next) => all.unionAll(next));

import { TARGET_TYPES, TARGETS, type TargetType } from "@admit/domain";

/**
 * The table of each kind of target. Typed over every `TargetType`, so a new kind fails the type
 * check here until its table is named; the statements below are built from it.
 */
export const TARGET_TABLES = {
  organization: "organizations",
  website: "websites",
  group: "groups",
} as const satisfies Record<TargetType, string>;

/** The SQL naming a target row's organization, from the descriptor's `owner` (`alias` is the row's). */
export const ownerColumn = (type: TargetType, alias: string): string => {
  const owner = TARGETS[type].owner;
  return owner === "itself" ? `${alias}.id` : owner === "organization" ? `${alias}.organization_id` : "null::uuid";
};

/** One `select` per kind of target, joined by `union all`; each takes one `uuid[]` parameter. */
export const perTargetType = (select: (type: TargetType, table: string) => string): string =>
  TARGET_TYPES.map((type) => select(type, TARGET_TABLES[type])).join("\nunion all ");

/** The kinds of target that belong to no organization, as an SQL list. */
export const unownedTypes = (): string =>
  TARGET_TYPES.filter((t) => TARGETS[t].owner === "none")
    .map((t) => `'${t}'`)
    .join(", ") || "null";

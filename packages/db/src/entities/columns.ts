import { ROLES, TARGET_TYPES } from "@admit/domain";

/** A check constraint keeping a text column to a fixed list of values. */
export const oneOf = (name: string, column: string, values: ReadonlyArray<string>) => ({
  name,
  expression: `${column} in (${values.map((v) => `'${v}'`).join(", ")})`,
});

export const roleCheck = (table: string) => oneOf(`${table}_role_check`, "role", ROLES);
export const targetTypeCheck = (table: string) => oneOf(`${table}_target_type_check`, "target_type", TARGET_TYPES);
export const inviterKindCheck = (name: string, column: string) => oneOf(name, column, ["root", "api_key", "user"]);
export const nameLengthCheck = (table: string) => ({
  name: `${table}_name_check`,
  expression: "(length(name) >= 1) and (length(name) <= 200)",
});

/**
 * The index of a keyset-paginated list, newest first: `(…prefix, created_at desc, id desc)`.
 *
 * Written as the statement itself because MikroORM 7.2 reads the sort order of such an index
 * back wrongly when a column name ends with the name of a later one (`organization_id … id
 * desc`), which would make the schema diff report it as changed forever. MikroORM compares
 * statement indexes by name only, so the schema test compares these statements with
 * `pg_indexes` itself.
 */
export const keysetIndex = (
  table: string,
  name: string,
  prefix: ReadonlyArray<string>,
  options: { readonly include?: ReadonlyArray<string>; readonly where?: string } = {},
) => {
  const columns = [...prefix.map((c) => `"${c}"`), '"created_at" desc', '"id" desc'].join(", ");
  const include = options.include ? ` include (${options.include.map((c) => `"${c}"`).join(", ")})` : "";
  const where = options.where ? ` where (${options.where})` : "";
  return { name, expression: `create index "${name}" on "${table}" (${columns})${include}${where}` };
};

/**
 * Every process's credential cache drops a credential when the transaction changing or deleting
 * its row commits: the trigger announces `<prefix>:<hash in hex>` on `admit_credentials`
 * (credentialCache.ts listens).
 */
export const credentialNotifyTrigger = (table: string, prefix: "k" | "t", hashColumn: string) => ({
  name: `${table}_notify`,
  timing: "after" as const,
  events: ["update" as const, "delete" as const],
  body: `perform pg_notify('admit_credentials', '${prefix}:' || encode(old.${hashColumn}, 'hex')); return null;`,
});

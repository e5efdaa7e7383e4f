import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { entities } from "./entities/index.ts";
import { initOrm, type Orm } from "./orm.ts";

let orm: Orm;
beforeAll(async () => {
  orm = await initOrm({ databaseUrl: inject("databaseUrl") });
});
afterAll(() => orm.close());

/** An index statement as PostgreSQL prints it and as an entity writes it, in one spelling. */
const normalize = (statement: string) =>
  statement
    .toLowerCase()
    .replaceAll('"', "")
    .replaceAll("public.", "")
    .replace(/ using btree /, " ")
    .replace(/\s+/g, " ")
    .trim();

describe("the entities", () => {
  it("describe the migrated schema exactly: MikroORM's diff against it is empty", async () => {
    const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff).toBe("");
  });

  it("spell every index given as a statement exactly as the migrated database has it", async () => {
    // MikroORM matches statement indexes by name only; this compares the statements themselves.
    const declared = entities.flatMap((e) =>
      (e.meta.indexes ?? []).flatMap((i) =>
        typeof i.expression === "string" ? [{ name: i.name as string, statement: i.expression }] : [],
      ),
    );
    expect(declared.length).toBeGreaterThan(0);
    const rows = await orm.em
      .fork()
      .execute<{ indexname: string; indexdef: string }[]>(
        "select indexname, indexdef from pg_indexes where schemaname = 'public' and indexname = any(?::text[])",
        [`{${declared.map((d) => d.name).join(",")}}`],
      );
    const actual = Object.fromEntries(rows.map((r) => [r.indexname, normalize(r.indexdef)]));
    const expected = Object.fromEntries(declared.map((d) => [d.name, normalize(d.statement)]));
    expect(actual).toEqual(expected);
  });
});

/**
 * Writes a new migration from the entities: migrates a fresh database (an embedded PostgreSQL,
 * or a new database on DATABASE_URL's server), asks MikroORM for the statements that take it to
 * what the entities describe, and writes them as a migration class registered in
 * `migrations/index.ts`.
 *
 *   pnpm --filter @admit/db db:migration:create <name> [--timestamp YYYYMMDDhhmmss]
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { startEmbeddedPostgres } from "./embedded.ts";
import { initOrm, migrate } from "./orm.ts";

const { values, positionals } = parseArgs({ options: { timestamp: { type: "string" } }, allowPositionals: true });
const name = positionals[0];
if (!name || !/^[a-z][a-z0-9_]*$/.test(name)) {
  console.error("usage: db:migration:create <snake_case_name> [--timestamp YYYYMMDDhhmmss]");
  process.exit(1);
}
const timestamp = values.timestamp ?? new Date().toISOString().replace(/\D/g, "").slice(0, 14);
if (!/^\d{14}$/.test(timestamp)) {
  console.error("--timestamp must be 14 digits (YYYYMMDDhhmmss)");
  process.exit(1);
}

const migrationsDir = join(import.meta.dirname, "migrations");
const className = `Migration${timestamp}_${name}`;

let adminUrl = process.env.DATABASE_URL;
let stop = async () => {};
if (!adminUrl) {
  const dir = await mkdtemp(join(tmpdir(), "admit-migration-"));
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(dir, "data"), throwaway: true });
  adminUrl = server.adminUrl;
  stop = async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
const database = `admit_migration_${process.pid}`;
const url = new URL(adminUrl);
url.pathname = `/${database}`;
const admin = async (sql: string) => {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};

try {
  await admin(`create database ${database}`);
  await migrate(url.toString());
  const orm = await initOrm({ databaseUrl: url.toString(), poolSize: 1 });
  const diff = await orm.schema.getUpdateSchemaMigrationSQL({ wrap: false }).finally(() => orm.close(true));
  const statements = (sql: string) =>
    sql
      .split(/;\n/)
      .map((s) => s.trim().replace(/;$/, ""))
      .filter((s) => s.length > 0);
  const up = statements(diff.up);
  if (up.length === 0) {
    console.log("The entities match the migrated schema: no migration needed.");
  } else {
    const addSql = (s: string) => `    this.addSql(\`${s.replace(/[`$\\]/g, "\\$&")}\`);`;
    const code = `import { Migration } from "@mikro-orm/migrations";

/** TODO: say what this migration is for. */
export class ${className} extends Migration {
  override name = "${className}";

  override up(): void {
${up.map(addSql).join("\n")}
  }

  override down(): void {
${statements(diff.down).map(addSql).join("\n")}
  }
}
`;
    await writeFile(join(migrationsDir, `${className}.ts`), code, { flag: "wx" });
    const indexPath = join(migrationsDir, "index.ts");
    const index = await readFile(indexPath, "utf8");
    await writeFile(
      indexPath,
      index
        .replace(/^(import .*\n)(?!import )/m, `$1import { ${className} } from "./${className}.ts";\n`)
        .replace(/\n\];\s*$/, `\n  ${className},\n];\n`),
    );
    console.log(`wrote src/migrations/${className}.ts (${up.length} statements) and registered it in index.ts`);
  }
} finally {
  await admin(`drop database if exists ${database} with (force)`).catch(() => {});
  await stop();
}

import { createHash } from "node:crypto";
import { Migrator } from "@mikro-orm/migrations";
import { MikroORM } from "@mikro-orm/postgresql";
import pg, { type Pool, type PoolClient } from "pg";
import { entities } from "./entities/index.ts";
import { readUtcTimestamp } from "./jsonDate.ts";
import { migrations } from "./migrations/index.ts";
import { installDeliveryQueue, QUEUE_SCHEMA } from "./queue.ts";

export interface OrmOptions {
  readonly databaseUrl: string;
  readonly poolSize?: number;
  /** Receives every SQL statement sent; used by tests that count round trips. */
  readonly onQuery?: (sql: string) => void;
}

export type Orm = MikroORM;

export const MIGRATIONS_TABLE = "admit_migrations";

export function initOrm(options: OrmOptions): Promise<Orm> {
  const { onQuery } = options;
  return MikroORM.init({
    clientUrl: options.databaseUrl,
    entities,
    extensions: [Migrator],
    migrations: { migrationsList: migrations, snapshot: false, silent: true, tableName: MIGRATIONS_TABLE },
    pool: { min: 0, max: options.poolSize ?? 10 },
    ensureDatabase: false,
    discovery: { warnWhenNoEntities: false },
    // The migrations' own bookkeeping and pg-boss's schema are not described by entities.
    schemaGenerator: { skipTables: [MIGRATIONS_TABLE], ignoreSchema: [QUEUE_SCHEMA] },
    driverOptions: {
      types: typeParsers(),
      onPoolCreated: (pool: Pool) => {
        prepareStatements(pool);
        // Counted at the driver: every statement any pooled `pg` client sends, whether it came
        // from the entity manager, Kysely or a transaction's begin/commit.
        if (onQuery) countStatements(pool, onQuery);
      },
    },
  });
}

/**
 * pg's own type parsers, so that a `timestamptz` arrives as a `Date`, as the Kysely types inferred
 * from the entities say (MikroORM's pool keeps every date and time as text, for its entity
 * hydration, which nothing here uses). A `timestamptz` PostgreSQL sent in UTC becomes a `JsonDate`,
 * which answers its JSON from that text (long lists serialize thousands of them); any other shape
 * goes through pg's parser. `date`, `timestamp` without time zone and `interval` stay text, as
 * MikroORM has them: pg would turn a date into local midnight.
 */
const typeParsers = (): pg.TypeOverrides => {
  const types = new pg.TypeOverrides();
  const timestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ);
  types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (text: string) => {
    return readUtcTimestamp(text) ?? timestamptz(text);
  });
  for (const oid of [pg.types.builtins.DATE, pg.types.builtins.TIMESTAMP, pg.types.builtins.INTERVAL]) {
    types.setTypeParser(oid, (text: string) => text);
  }
  return types;
};

/**
 * Applies every pending migration, then installs the job queue's schema and queues; safe to run
 * concurrently with itself and on an up-to-date database.
 */
export async function migrate(databaseUrl: string): Promise<void> {
  const orm = await initOrm({ databaseUrl, poolSize: 1 });
  try {
    await orm.migrator.up();
  } finally {
    await orm.close(true);
  }
  await installDeliveryQueue(databaseUrl);
}

/**
 * The name the migrator records for the last migration this build knows (each migration sets it
 * explicitly, as class names do not survive bundling): a database without it is not ready for
 * this build's queries.
 */
let latestName: string | undefined;
const latestMigrationName = (orm: Orm): string => {
  if (latestName === undefined) {
    const Latest = migrations.at(-1);
    latestName = Latest === undefined ? "" : new Latest(orm.driver, orm.config).name;
  }
  return latestName;
};

export type DatabaseReadiness = "ready" | "database_unreachable" | "database_not_migrated";

/**
 * One round trip (MikroORM connects lazily, so `isConnected()` says nothing until a query ran):
 * the database answers, and holds this build's latest migration. A database nobody migrated, or
 * one behind this build, would answer every request that touches a missing table or column with
 * an error, so it is `database_not_migrated` rather than ready. A database ahead of this build
 * (a newer release migrated it first) is ready: migrations only add.
 */
export const databaseReadiness = (orm: Orm): Promise<DatabaseReadiness> => {
  return orm.em
    .getConnection()
    .execute<Array<{ migrated: boolean }>>(
      `select exists (select 1 from ${MIGRATIONS_TABLE} where name = ?) as migrated`,
      [latestMigrationName(orm)],
    )
    .then(
      (rows): DatabaseReadiness => (rows[0]?.migrated === true ? "ready" : "database_not_migrated"),
      (error: { code?: unknown; sqlState?: unknown }): DatabaseReadiness =>
        // 42P01: no such table. Anything else (refused, timed out, authentication) is unreachable.
        error?.code === "42P01" || error?.sqlState === "42P01" ? "database_not_migrated" : "database_unreachable",
    );
};

const counted = new WeakSet<PoolClient>();

function countStatements(pool: Pool, onQuery: (sql: string) => void): void {
  pool.on("connect", (client) => {
    if (counted.has(client)) return;
    counted.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const [first] = args;
      onQuery(typeof first === "string" ? first : String((first as { text?: string } | null)?.text ?? ""));
      return query(...args);
    };
  });
}

/**
 * Every statement with parameters becomes a named prepared statement of its connection (named
 * after its text), so PostgreSQL parses and plans each text once per connection instead of on
 * every request: the write path's statements are large CTEs whose planning cost more than their
 * execution. Statement texts are few and fixed (lists travel as one array parameter), so each
 * connection keeps a bounded set. Same round trips: a first use sends Parse with the rest.
 */
function prepareStatements(pool: Pool): void {
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const [text, values, callback] = args;
      if (typeof text === "string" && Array.isArray(values) && values.length > 0 && typeof callback !== "function")
        return query({ name: statementName(text), text, values });
      return query(...args);
    };
  });
}

const statementNames = new Map<string, string>();

/**
 * The name of a statement's text as a prepared statement of any connection (PREPARE and the
 * protocol's Parse share one namespace per connection, see heldTransaction.ts).
 */
export const statementName = (text: string): string => {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `a${createHash("sha1").update(text).digest("base64url")}`;
    statementNames.set(text, name);
  }
  return name;
};

import { RepositoryError } from "@admit/domain";
import type { InferKyselyDB } from "@mikro-orm/sql";
import { Effect, Schema } from "effect";
import {
  type ColumnType,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type RawBuilder,
  sql,
} from "kysely";
import type { entities } from "./entities/index.ts";
import type { Orm } from "./orm.ts";
import { CurrentEntityManager } from "./sql.ts";

/** The schema as MikroORM infers it from the entities, timestamps typed as `Date`. */
type EntityDB = InferKyselyDB<(typeof entities)[number]>;

type Read<T> = T extends Date ? string : T;
type Write<T> = T extends Date ? Date | string : T;

/**
 * A column as it travels. MikroORM's pool leaves PostgreSQL's timestamps unparsed, so a timestamp
 * is read back as the string PostgreSQL sends (adapters turn it into a `Date` explicitly) and is
 * written as a `Date` or an ISO string; every other column keeps its entity type.
 */
type Wire<C> = [C] extends [ColumnType<infer S, infer I, infer U>]
  ? ColumnType<Read<S>, Write<I>, Write<U>>
  : [Extract<C, Date>] extends [never]
    ? C
    : ColumnType<Read<C>, Write<C>, Write<C>>;

/**
 * The schema as Kysely sees it, inferred from the MikroORM entities: table and column names are
 * the database's own (`invites.target_type`), so a renamed column is a type error in every
 * statement that uses it.
 */
export type DB = { [T in keyof EntityDB]: { [K in keyof EntityDB[T]]: Wire<EntityDB[T][K]> } };

export type Sql = Kysely<DB>;

/**
 * Builds the adapters' statement runner: `run((db) => db.selectFrom(…)…execute())` runs on the
 * Kysely instance bound to the current transaction when there is one, otherwise on a fresh fork
 * (autocommit). Failures become `RepositoryError`.
 */
export const makeRun =
  (orm: Orm) =>
  <A>(statement: (db: Sql) => Promise<A>): Effect.Effect<A, RepositoryError> =>
    Effect.gen(function* () {
      const em = (yield* CurrentEntityManager) ?? orm.em.fork();
      return yield* Effect.tryPromise({
        try: () => statement(em.getKysely() as unknown as Sql),
        catch: (cause) => new RepositoryError({ cause }),
      });
    });

export type Run = ReturnType<typeof makeRun>;

/**
 * Decodes the rows of a statement Kysely cannot type (raw `sql`) against a schema, instead of
 * casting them: a column that went missing or changed type is a `RepositoryError` naming it.
 */
export const decodeRows =
  <S extends Schema.Codec<unknown, unknown, never, never>>(row: S) =>
  (rows: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<S["Type"]>, RepositoryError> =>
    Schema.decodeUnknownEffect(Schema.Array(row))(rows).pipe(
      Effect.mapError((cause) => new RepositoryError({ cause })),
    );

/** Ids as one `uuid[]` parameter, for `= any(…)` and `unnest(…)`: one statement whatever their number. */
export const uuids = (ids: ReadonlyArray<string>): RawBuilder<ReadonlyArray<string>> => sql`${ids}::uuid[]`;

/** A hash given in hex, as the `bytea` it is stored as (`decode(…, 'hex')`). */
export const hexBytes = (hex: string): RawBuilder<Buffer> => sql`decode(${hex}, 'hex')`;

/**
 * A Kysely that only compiles (it has no connection): for the text of a typed statement that code
 * still written as plain SQL builds on, so that text follows the entities too.
 */
export const compiler: Sql = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** A timestamp as PostgreSQL sends it (`2026-01-02 03:04:05.678+00`), as a `Date`. */
export const timestamp = (value: string): Date => new Date(value);

export const timestampOrNull = (value: string | null): Date | null => (value === null ? null : new Date(value));

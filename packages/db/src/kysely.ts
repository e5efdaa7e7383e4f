import { RepositoryError } from "@admit/domain";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { InferKyselyDB } from "@mikro-orm/sql";
import { Effect, Schema } from "effect";
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { entities } from "./entities/index.ts";
import type { Orm } from "./orm.ts";
import { CurrentEntityManager } from "./sql.ts";

/**
 * The schema as Kysely sees it, inferred from the MikroORM entities: table and column names are
 * the database's own (`invites.target_type`), so a renamed column is a type error in every
 * statement that uses it. Timestamps are `Date`s both ways (`initOrm` gives the pool pg's
 * timestamptz parser).
 */
export type DB = InferKyselyDB<(typeof entities)[number]>;

export type Sql = Kysely<DB>;

/**
 * The Kysely instance of an entity manager, typed with `DB`: bound to its transaction when it is
 * in one. For code handed an entity manager rather than running through `makeRun`.
 */
export const kyselyOf = (em: EntityManager): Sql => em.getKysely() as unknown as Sql;

/**
 * Builds the adapters' statement runner: `run((db) => db.selectFrom(…)…execute())` runs on the
 * Kysely instance bound to the current transaction when there is one, otherwise on the pool's
 * (autocommit). Failures become `RepositoryError`.
 *
 * Outside a transaction MikroORM hands every entity manager the same pool-bound Kysely, so no
 * fork is made for it: forking (a new entity manager, identity map and unit of work) cost about
 * 2% of the API's CPU per request, for an instance it never used.
 */
export const makeRun =
  (orm: Orm) =>
  <A>(statement: (db: Sql) => Promise<A>): Effect.Effect<A, RepositoryError> =>
    Effect.flatMap(CurrentEntityManager, (em) =>
      Effect.tryPromise({
        try: () => statement(em === null ? autocommitOf(orm) : kyselyOf(em)),
        catch: (cause) => new RepositoryError({ cause }),
      }),
    );

/** The pool-bound Kysely: what `orm.em.fork().getKysely()` answers outside a transaction. */
const autocommitOf = (orm: Orm): Sql => orm.em.getConnection("write").getClient() as unknown as Sql;

export type Run = ReturnType<typeof makeRun>;

/**
 * Decodes the rows of a statement Kysely cannot type (raw `sql`) against a schema, instead of
 * casting them: a column that went missing or changed type is a `RepositoryError` naming it.
 */
export const decodeRows = <S extends Schema.Codec<unknown, unknown, never, never>>(
  row: S,
): ((rows: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<S["Type"]>, RepositoryError>) => {
  let decode = rowDecoders.get(row);
  if (decode === undefined) {
    const decodeArray = Schema.decodeUnknownEffect(Schema.Array(row));
    decode = (rows) => decodeArray(rows).pipe(Effect.mapError((cause) => new RepositoryError({ cause })));
    rowDecoders.set(row, decode);
  }
  return decode as (rows: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<S["Type"]>, RepositoryError>;
};

/**
 * One decoder per row schema, built on its first use: `Schema.Array(row)` is a new schema, and
 * its parser is compiled anew, every time it is made (measured: a few per cent of the API's CPU
 * per request when rebuilt on every statement).
 */
const rowDecoders = new WeakMap<
  object,
  (rows: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<unknown>, RepositoryError>
>();

/**
 * A list as one PostgreSQL array parameter, whatever its length: `eb.fn.any(uuids(ids))` is
 * `= any($1::uuid[])`, and `unnest(${uuids(ids)}, …)` turns lists into rows.
 */
export const uuids = (values: ReadonlyArray<string>): RawBuilder<string[]> => sql<string[]>`${values}::uuid[]`;
export const texts = <T extends string>(values: ReadonlyArray<T>): RawBuilder<T[]> => sql<T[]>`${values}::text[]`;
export const booleans = (values: ReadonlyArray<boolean>): RawBuilder<boolean[]> => sql<boolean[]>`${values}::boolean[]`;

/** A hash given in hex, as the `bytea` it is stored as (`decode(…, 'hex')`). */
export const hexBytes = (hex: string): RawBuilder<Buffer> => sql`decode(${hex}, 'hex')`;

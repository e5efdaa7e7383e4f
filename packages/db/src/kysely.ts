import { RepositoryError } from "@admit/domain";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { InferKyselyDB } from "@mikro-orm/sql";
import { Effect, Schema } from "effect";
import { CompiledQuery, type Kysely, type RawBuilder, sql } from "kysely";
import type { Pool, PoolClient } from "pg";
import type { entities } from "./entities/index.ts";
import { heldTransactionOf } from "./heldTransaction.ts";
import { type Orm, statementName } from "./orm.ts";
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
 * Runs `use` on a client of the ORM's pool, given back afterwards (the pool, looked up once): what
 * Kysely's executor ends up doing outside a transaction, without its layers.
 */
const pooledClient = (orm: Orm) => {
  let pool: Pool | undefined;
  return async <A>(use: (client: PoolClient) => Promise<A>): Promise<A> => {
    pool ??= await orm.em.getConnection("write").getNativeClient();
    const client = await pool.connect();
    try {
      return await use(client);
    } finally {
      client.release();
    }
  };
};

/**
 * Builds the runner of statements compiled once (`compiledOnce`): `runCompiled((db) =>
 * compiled(shape, values, () => … .compile()))`. Outside a transaction the statement goes
 * straight to a pooled `pg` client, as Kysely's executor would send it (the client's own `query`,
 * so a named prepared statement), without the executor's layers around it (connection provider,
 * driver connection, result transform: about a tenth of an accept's allocation, for its two
 * statements). In a held transaction (heldTransaction.ts) it goes to the transaction's own
 * runner, which is where its Kysely instance ends up (about 6% of the API's CPU and 12 KB per
 * email invite less); in any other transaction, through its Kysely instance as with `makeRun`.
 * Answers the rows.
 */
export const makeRunCompiled = (orm: Orm) => {
  const pooled = pooledClient(orm);
  const send = <R>(compiled: CompiledQuery<R>): Promise<ReadonlyArray<R>> =>
    pooled(async (client) => (await client.query(compiled.sql, compiled.parameters as unknown[])).rows as R[]);
  return <R>(statement: (db: Sql) => CompiledQuery<R>): Effect.Effect<ReadonlyArray<R>, RepositoryError> =>
    Effect.flatMap(CurrentEntityManager, (em) =>
      Effect.tryPromise({
        try: () => {
          if (em === null) return send(statement(autocommitOf(orm)));
          const held = heldTransactionOf(em);
          if (held !== undefined) {
            const compiled = statement(kyselyOf(em));
            return held.query(compiled.sql, compiled.parameters).then((result) => result.rows as R[]);
          }
          const db = kyselyOf(em);
          return db.executeQuery(statement(db)).then((result) => result.rows);
        },
        catch: (cause) => new RepositoryError({ cause }),
      }),
    );
};

export type RunCompiled = ReturnType<typeof makeRunCompiled>;

/**
 * Like `makeRunCompiled`, for statements that read many rows: each row comes as the array of its
 * columns in the order they were selected (pg's `rowMode: 'array'`), instead of an object pg
 * builds by adding each column by name (a page of 1,000 invites is 1,000 of them, about a quarter
 * of a megabyte). Sent as a named prepared statement, as `prepareStatements` names any other. In
 * a transaction the statement goes through its Kysely instance and each row object is read back
 * in column order.
 */
export const makeRunArrays = (orm: Orm) => {
  const pooled = pooledClient(orm);
  const send = (compiled: CompiledQuery): Promise<ReadonlyArray<ReadonlyArray<unknown>>> =>
    pooled(async (client) => {
      const values = compiled.parameters as unknown[];
      const name = values.length > 0 ? statementName(compiled.sql) : undefined;
      return (await client.query({ name, text: compiled.sql, values, rowMode: "array" })).rows as unknown[][];
    });
  return (
    statement: (db: Sql) => CompiledQuery,
  ): Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, RepositoryError> =>
    Effect.flatMap(CurrentEntityManager, (em) =>
      Effect.tryPromise({
        try: () => {
          if (em === null) return send(statement(autocommitOf(orm)));
          const db = kyselyOf(em);
          return db
            .executeQuery(statement(db))
            .then((result) => result.rows.map((row) => Object.values(row as Record<string, unknown>)));
        },
        catch: (cause) => new RepositoryError({ cause }),
      }),
    );
};

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

/**
 * A parameter slot of a shape: the index of the value it takes, or the value itself when that is
 * fixed by the shape (null, undefined, a boolean: part of the shape's key).
 */
type Slot = { readonly index: number } | { readonly fixed: unknown };

interface Shape {
  readonly sql: string;
  readonly slots: ReadonlyArray<Slot>;
}

/** Whether a value is part of a shape's key rather than a parameter looked up by identity. */
const isFixed = (value: unknown) => value === null || value === undefined || typeof value === "boolean";

/** In tests every reuse is checked against a fresh build (see `compiledOnce`). */
const VERIFY = process.env.VITEST !== undefined;

/**
 * Statements built and compiled once per shape instead of on every call. Building a write's
 * CTEs with Kysely and compiling them was about a fifth of the API's allocation and a tenth of
 * its CPU per invite, for a text that only changes with the shape of the statement.
 *
 * `compiledOnce(db, shape, values, build)`: `shape` names what decides the statement's text (the
 * branches `build` takes); `values` lists every value `build` turns into a parameter, as the very
 * objects it passes (an array as the same array). The first build of a shape is compiled and
 * each of its parameters found among `values` by identity; later calls of the shape send the
 * cached text with the parameters taken from their own `values`, without building anything.
 * Nulls, undefined and booleans among `values` are made part of the shape, so a parameter equal
 * to one of them is fixed. A parameter matching several values is left for a later call to map;
 * one matching none (a constant or a value missing from `values`) keeps the shape built on every
 * call, and fails under tests so that it is noticed. Under tests every reuse is also compared
 * with a fresh build.
 */
export const compiledOnce = (): (<R>(
  shape: string,
  values: ReadonlyArray<unknown>,
  build: () => CompiledQuery<R>,
) => CompiledQuery<R>) => {
  const shapes = new Map<string, Shape | "unmapped">();
  return <R>(shape: string, values: ReadonlyArray<unknown>, build: () => CompiledQuery<R>): CompiledQuery<R> => {
    let key = shape;
    values.forEach((value, index) => {
      if (isFixed(value)) key += `|${index}=${String(value)}`;
    });
    const cached = shapes.get(key);
    if (cached !== undefined && cached !== "unmapped") {
      const parameters = cached.slots.map((slot) => ("index" in slot ? values[slot.index] : slot.fixed));
      const compiled = CompiledQuery.raw(cached.sql, parameters) as CompiledQuery<R>;
      if (VERIFY) {
        const fresh = build();
        if (fresh.sql !== compiled.sql || !sameParameters(fresh.parameters, parameters))
          throw new Error(`compiledOnce: shape ${shape} reused for a different statement`);
      }
      return compiled;
    }
    const compiled = build();
    if (cached === "unmapped") return compiled;
    const slots: Slot[] = [];
    for (const parameter of compiled.parameters) {
      if (isFixed(parameter)) {
        slots.push({ fixed: parameter });
        continue;
      }
      let found = -1;
      let count = 0;
      values.forEach((value, index) => {
        if (Object.is(value, parameter)) {
          found = index;
          count++;
        }
      });
      if (count === 0) {
        shapes.set(key, "unmapped");
        if (VERIFY) throw new Error(`compiledOnce: a parameter of shape ${shape} is not among its values`);
        return compiled;
      }
      // Two values equal to this parameter: a later call tells them apart.
      if (count > 1) return compiled;
      slots.push({ index: found });
    }
    shapes.set(key, { sql: compiled.sql, slots });
    return compiled;
  };
};

const sameParameters = (a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>) =>
  a.length === b.length && a.every((value, i) => Object.is(value, b[i]));

import { RepositoryError } from "@admit/domain";
import type { EntityManager } from "@mikro-orm/postgresql";
import { Effect, Exit } from "effect";
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from "kysely";
import { escapeLiteral, type Pool, type PoolClient, type QueryResult } from "pg";
import type { DB } from "./kysely.ts";
import type { Orm } from "./orm.ts";
import { CurrentEntityManager, committed, rolledBack } from "./sql.ts";

/** The rows of each statement of a string sent at once. */
export type StatementRows = ReadonlyArray<ReadonlyArray<Record<string, unknown>>>;

/**
 * A transaction on a connection held here rather than by the ORM, so that its first and last
 * statements travel with BEGIN and COMMIT: PostgreSQL's simple query protocol runs several
 * statements sent as one string, in one round trip, and answers each one's rows. Such statements
 * carry no parameters (their values are inlined as literals, see `literal`). In between, `em` runs
 * the adapters' statements on the same connection, as any transaction's entity manager does.
 */
export interface HeldTransaction {
  readonly em: EntityManager;
  /** `last` (if any), then COMMIT, in one round trip; answers `last`'s rows. */
  commit(last?: string): Promise<StatementRows>;
  /** ROLLBACK; the connection goes back to the pool (or is dropped if it broke). */
  rollback(): Promise<void>;
}

const rowsOf = (result: QueryResult | QueryResult[]): StatementRows =>
  (Array.isArray(result) ? result : [result]).map((r) => r.rows ?? []);

/** One Kysely per pooled connection, whose "pool" is that connection alone (reused, never released by Kysely). */
const kyselyOf = new WeakMap<PoolClient, Kysely<DB>>();

const kyselyOn = (client: PoolClient, pool: Pool): Kysely<DB> => {
  let kysely = kyselyOf.get(client);
  if (kysely === undefined) {
    const connection: PostgresPoolClient = {
      query: client.query.bind(client) as PostgresPoolClient["query"],
      release: () => {},
    };
    const single = {
      connect: async () => connection,
      end: async () => {},
      // What Kysely's driver reads from a pg pool to cancel a query on a connection of its own.
      Client: (pool as unknown as { Client: unknown }).Client,
      options: pool.options,
    } as unknown as PostgresPool;
    kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool: single }) });
    kyselyOf.set(client, kysely);
  }
  return kysely;
};

/**
 * Opens a transaction whose BEGIN carries `first` (statements without parameters) in the same
 * round trip; answers the transaction and the rows of each statement of `first`.
 */
export const beginWith = async (orm: Orm, first: string): Promise<{ tx: HeldTransaction; rows: StatementRows }> => {
  const pool = (await orm.em.getConnection().getNativeClient()) as Pool;
  const client = await pool.connect();
  let open = false;
  // Back to the pool, rolled back if still open; dropped if even that fails (the connection broke).
  const release = async () => {
    if (open) {
      open = false;
      try {
        await client.query("rollback");
      } catch (error) {
        client.release(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
    client.release();
  };
  let rows: StatementRows;
  try {
    open = true;
    rows = rowsOf(await client.query(`begin; ${first}`)).slice(1);
  } catch (error) {
    await release();
    throw error;
  }
  const em = orm.em.fork();
  em.setTransactionContext(kyselyOn(client, pool) as never);
  let ended = false;
  const tx: HeldTransaction = {
    em,
    commit: async (last) => {
      if (ended) throw new Error("the transaction has ended");
      ended = true;
      try {
        const result = rowsOf(await client.query(last === undefined ? "commit" : `${last}; commit`));
        open = false;
        await release();
        return last === undefined ? [] : result.slice(0, -1);
      } catch (error) {
        // A failed statement leaves the transaction aborted (the COMMIT after it never ran).
        await release();
        throw error;
      }
    },
    rollback: async () => {
      if (ended) return;
      ended = true;
      await release();
    },
  };
  return { tx, rows };
};

/** A value inlined into a statement sent without parameters (strings quoted by the driver's own `escapeLiteral`). */
export const literal = (value: string | number | null): string => {
  if (value === null) return "null";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  return escapeLiteral(value);
};

/**
 * The advisory lock of a name, as an SQL expression with the name inlined (`hashtextextended`:
 * PostgreSQL's own 64-bit hash), so that it can travel with BEGIN.
 */
export const lockOf = (name: string): string => `pg_advisory_xact_lock(hashtextextended(${literal(name)}, 0))`;

/**
 * Runs `self` in a transaction that first takes the advisory lock on `name`, held until it ends.
 * A new transaction sends BEGIN and the lock in one round trip; inside a transaction already, the
 * lock is one statement of it. Commit hooks run as with `withTransaction`.
 */
export const withLockedTransaction =
  (orm: Orm, name: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | RepositoryError, R> =>
    Effect.gen(function* () {
      const lock = `select ${lockOf(name)}`;
      const current = yield* CurrentEntityManager;
      if (current !== null) {
        yield* Effect.tryPromise({
          try: () => current.execute(lock),
          catch: (cause) => new RepositoryError({ cause }),
        });
        return yield* self;
      }
      return yield* Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          const { tx } = yield* Effect.tryPromise({
            try: () => beginWith(orm, lock),
            catch: (cause) => new RepositoryError({ cause }),
          });
          const exit = yield* Effect.exit(restore(Effect.provideService(self, CurrentEntityManager, tx.em)));
          if (Exit.isSuccess(exit)) {
            yield* Effect.tryPromise({ try: () => tx.commit(), catch: (cause) => new RepositoryError({ cause }) }).pipe(
              Effect.tapError(() => Effect.sync(() => rolledBack(tx.em))),
            );
            yield* Effect.promise(() => committed(tx.em));
          } else {
            rolledBack(tx.em);
            yield* Effect.promise(() => tx.rollback().catch(() => {}));
          }
          return yield* exit;
        }),
      );
    });

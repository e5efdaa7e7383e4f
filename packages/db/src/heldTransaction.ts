/// <reference path="./pg-utils.d.ts" />
import { RepositoryError } from "@admit/domain";
import type { EntityManager } from "@mikro-orm/postgresql";
import { Effect, Exit } from "effect";
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from "kysely";
import { escapeIdentifier, type Pool, type PoolClient, type QueryResult } from "pg";
import pgUtils from "pg/lib/utils.js";
import type { DB } from "./kysely.ts";
import { type Orm, statementName } from "./orm.ts";
import { CurrentEntityManager, committed, hasCommitHooks, rolledBack } from "./sql.ts";

/** The rows of each statement of a string sent at once. */
export type StatementRows = ReadonlyArray<ReadonlyArray<Record<string, unknown>>>;

/**
 * A transaction on a connection held here rather than by the ORM, whose round trips carry more
 * than one statement: PostgreSQL's simple query protocol runs several statements sent as one
 * string, in one round trip, and answers each one's rows. BEGIN and the statements `defer`red
 * travel with the transaction's next statement: the first statement of the use case (run by the
 * adapters through `em`, as on any transaction's entity manager) goes in the same string as
 * `EXECUTE` of its prepared statement (see `begin`); the last one travels with COMMIT (`commit`).
 * So a transaction whose use case reads once and writes once takes three round trips, whatever
 * was deferred.
 */
export interface HeldTransaction {
  readonly em: EntityManager;
  /**
   * Runs a statement in the transaction: what the Kysely instance of `em` ends up calling, for
   * a statement already compiled (`makeRunCompiled`), without Kysely's executor around it.
   */
  query(text: string, values?: ReadonlyArray<unknown>): Promise<QueryResult>;
  /**
   * `statements` (one statement each, without parameters: values inlined, see `literal`) travel
   * with the transaction's next round trip; answers the rows of each once sent (rejected if the
   * round trip fails or the transaction ends first). `refuse` may turn their rows into the
   * failure of the statement they travelled with: the use case stops, the transaction stays open
   * for the caller to roll back.
   */
  defer(statements: ReadonlyArray<string>, refuse?: (rows: StatementRows) => Error | undefined): Promise<StatementRows>;
  /** Whether statements wait to travel with the next one (BEGIN, until the first round trip). */
  readonly deferring: boolean;
  /** Sends what waits, alone, if anything does. */
  flush(): Promise<void>;
  /**
   * Makes the next statement the transaction's last: it travels with COMMIT, in one round trip,
   * and the transaction ends with it (`commit` then does nothing). Answers false, changing
   * nothing, when the transaction was not begun for that (`BeginOptions.commitWithLast`), has
   * failed, or defers a statement that may refuse.
   */
  commitWithNext(): boolean;
  /** `last` (if any), then COMMIT, in one round trip (after what waits); answers `last`'s rows. */
  commit(last?: string): Promise<StatementRows>;
  /** ROLLBACK (none if nothing was sent); the connection goes back to the pool (or is dropped). */
  rollback(): Promise<void>;
}

interface Waiter {
  readonly count: number;
  readonly resolve: (rows: StatementRows) => void;
  readonly reject: (error: unknown) => void;
  readonly refuse?: ((rows: StatementRows) => Error | undefined) | undefined;
}

type Query = (text: string, values?: ReadonlyArray<unknown>) => Promise<QueryResult>;

/** The statement runner of the transaction held on a connection, if one is. */
const heldOn = new WeakMap<PoolClient, Query>();
/** The transaction of an entity manager handed out by `begin`. */
const heldOf = new WeakMap<EntityManager, HeldTransaction>();

/** The held transaction `em` belongs to, if it is one. */
export const heldTransactionOf = (em: EntityManager): HeldTransaction | undefined => heldOf.get(em);

/** One Kysely per pooled connection, whose "pool" is that connection alone (reused, never released by Kysely). */
const kyselyOf = new WeakMap<PoolClient, Kysely<DB>>();

const kyselyOn = (client: PoolClient, pool: Pool): Kysely<DB> => {
  let kysely = kyselyOf.get(client);
  if (kysely === undefined) {
    const connection: PostgresPoolClient = {
      query: ((text: string, values?: ReadonlyArray<unknown>) => {
        const held = heldOn.get(client);
        // Ended: the connection may be another transaction's by now.
        return held === undefined ? Promise.reject(new Error("the transaction has ended")) : held(text, values);
      }) as unknown as PostgresPoolClient["query"],
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

const QUOTES_AND_BACKSLASHES = /['\\]/g;

/**
 * pg's `escapeLiteral`, the same text for every string: quotes and backslashes doubled, and an
 * `E` prefix (after a space) when there was a backslash. pg's builds its answer one character at
 * a time, a new string per character: for an email invite's write (its events and job inlined)
 * that was about a fifth of the API's allocation per request.
 */
export const quoteLiteral = (text: string): string => {
  const backslash = text.includes("\\");
  if (!backslash && !text.includes("'")) return `'${text}'`;
  const doubled = text.replace(QUOTES_AND_BACKSLASHES, "$&$&");
  return backslash ? ` E'${doubled}'` : `'${doubled}'`;
};

/** A parameter inlined as a literal: pg's own conversion to text, quoted as its `escapeLiteral` does. */
const inlined = (value: unknown): string => {
  const text = pgUtils.prepareValue(value);
  if (text === null) return "null";
  return quoteLiteral(Buffer.isBuffer(text) ? `\\x${text.toString("hex")}` : text);
};

/** What pg knows of the statements prepared on its connection (protocol-level, by name). */
const preparedOn = (client: PoolClient): { parsed: Record<string, string>; submitted: Record<string, string> } => {
  const connection = (
    client as unknown as {
      connection: { parsedStatements: Record<string, string>; submittedNamedStatements: Record<string, string> };
    }
  ).connection;
  return { parsed: connection.parsedStatements, submitted: connection.submittedNamedStatements };
};

/**
 * Entity managers of transactions that have ended, for `begin` to hand out again instead of
 * forking a new one (a new entity manager, identity map and unit of work: about 5% of the API's
 * CPU per email invite). Only the adapters' Kysely is used through a held transaction's entity
 * manager (`kyselyOf`, bound with `setTransactionContext`), never its identity map; it keys the
 * transaction (`heldTransactionOf`) and the commit hooks (`afterCommit`), so it is given back
 * only by whoever ran the transaction, once the hooks have run or been dropped and nothing of
 * the transaction can use it any more (`spare`).
 */
const spares = new WeakMap<Orm, EntityManager[]>();
const MAX_SPARES = 64;

const sparesOf = (orm: Orm): EntityManager[] => {
  let list = spares.get(orm);
  if (list === undefined) {
    list = [];
    spares.set(orm, list);
  }
  return list;
};

/** Gives the entity manager of an ended transaction back to `begin` (see `spares`). */
const spare = (orm: Orm, tx: HeldTransaction): void => {
  const { em } = tx;
  if (heldOf.get(em) !== tx) return;
  heldOf.delete(em);
  em.resetTransactionContext();
  const list = sparesOf(orm);
  if (list.length < MAX_SPARES) list.push(em);
};

export interface BeginOptions {
  /**
   * Whether the use case's last statement may carry COMMIT (`commitWithNext`): only for a
   * transaction whose COMMIT carries nothing of its own (a keyed request's answer does).
   */
  readonly commitWithLast?: boolean;
}

/**
 * Opens a transaction on a connection of the pool, sending nothing yet: BEGIN travels with the
 * transaction's first statement.
 *
 * A statement with parameters is a named prepared statement of its connection (see
 * `prepareStatements` in orm.ts); one that travels with others goes as `EXECUTE name(literal, …)`
 * in the same simple-protocol string, after `PREPARE name AS …` if the connection has not
 * prepared it yet. SQL-level PREPARE and the protocol's named statements share one namespace per
 * connection, so the name is recorded where pg records the ones it parsed, and pg never parses it
 * again. When a string with a PREPARE fails, the ROLLBACK that follows also reads whether the
 * statement is prepared (`pg_prepared_statements`), in the same round trip.
 */
export const begin = async (orm: Orm, options: BeginOptions = {}): Promise<HeldTransaction> => {
  const pool = (await orm.em.getConnection().getNativeClient()) as Pool;
  const client = await pool.connect();
  // pg-pool hands each checkout a release of its own: the one of this checkout, called once.
  const giveBack = client.release.bind(client);
  let released = false;
  let open = false;
  let ended = false;
  /** A statement failed: the transaction can only roll back. */
  let aborted = false;
  /** The next statement carries COMMIT (`commitWithNext`). */
  let commitNext = false;
  /** A PREPARE sent in a string that failed: whether it took effect is read with the rollback. */
  let unsure: { name: string; text: string } | undefined;
  /** The transaction ended with its last statement (`commitWithNext`). */
  let committedEarly = false;
  let waiting: string[] = ["begin"];
  let waiters: Waiter[] = [{ count: 1, resolve: () => {}, reject: () => {} }];

  // Back to the pool, rolled back if still open; dropped if even that fails (the connection broke).
  // The rollback also reads whether a PREPARE of a failed string took effect, for pg's record.
  // Once only: a rollback may begin while the last statement and its COMMIT are on their way, and
  // their answer must not give the connection back a second time (by then, maybe another's).
  const release = async () => {
    if (released) return;
    released = true;
    heldOn.delete(client);
    for (const w of waiters) w.reject(new Error("the transaction ended before its statements were sent"));
    waiters = [];
    waiting = [];
    if (open) {
      open = false;
      const check = unsure;
      unsure = undefined;
      try {
        if (check === undefined) await client.query("rollback");
        else {
          const results = (await client.query(
            `rollback; select 1 from pg_prepared_statements where name = ${quoteLiteral(check.name)}`,
          )) as unknown as QueryResult[];
          if ((results[1]?.rows.length ?? 0) > 0) preparedOn(client).parsed[check.name] = check.text;
        }
      } catch (error) {
        giveBack(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
    giveBack();
  };

  /** Sends what waits, then `tail`; answers the results of `tail`. */
  const send = async (tail: ReadonlyArray<string>, prepared?: { name: string; text: string }) => {
    const sent = waiting;
    const told = waiters;
    waiting = [];
    waiters = [];
    if (sent[0] === "begin") open = true;
    let results: QueryResult[];
    try {
      const result = (await client.query([...sent, ...tail].join(";\n"))) as QueryResult | QueryResult[];
      results = Array.isArray(result) ? result : [result];
    } catch (error) {
      if (prepared !== undefined) unsure = prepared;
      aborted = true;
      for (const w of told) w.reject(error);
      throw error;
    }
    if (prepared !== undefined) preparedOn(client).parsed[prepared.name] = prepared.text;
    let at = 0;
    let refusal: Error | undefined;
    for (const w of told) {
      const rows = results.slice(at, at + w.count).map((r) => r.rows ?? []);
      at += w.count;
      w.resolve(rows);
      refusal ??= w.refuse?.(rows);
    }
    if (refusal !== undefined) throw refusal;
    return results.slice(at);
  };

  const query: Query = async (text, values) => {
    if (ended) throw new Error("the transaction has ended");
    const last = commitNext;
    commitNext = false;
    if (waiting.length === 0 && !last) {
      return client.query(text, values as unknown[]).catch((error: unknown) => {
        aborted = true;
        throw error;
      });
    }
    const commit = last ? ["commit"] : [];
    let results: QueryResult[];
    if (values === undefined || values.length === 0) results = await send([text, ...commit]);
    else {
      const name = statementName(text);
      const { parsed, submitted } = preparedOn(client);
      const known = parsed[name] ?? submitted[name];
      if (known !== undefined && known !== text) throw new Error(`prepared statement ${name} has another text`);
      const execute = `execute ${escapeIdentifier(name)}(${values.map(inlined).join(", ")})`;
      results =
        known === undefined
          ? await send([`prepare ${escapeIdentifier(name)} as ${text}`, execute, ...commit], { name, text })
          : await send([execute, ...commit]);
    }
    if (!last) return results.at(-1) as QueryResult;
    // Committed: the connection goes back to the pool now.
    ended = true;
    open = false;
    committedEarly = true;
    await release();
    return results.at(-2) as QueryResult;
  };
  heldOn.set(client, query);

  const em = sparesOf(orm).pop() ?? orm.em.fork();
  em.setTransactionContext(kyselyOn(client, pool) as never);
  const tx: HeldTransaction = {
    em,
    query,
    get deferring() {
      return waiting.length > 0;
    },
    defer: (statements, refuse) => {
      if (ended) return Promise.reject(new Error("the transaction has ended"));
      const rows = new Promise<StatementRows>((resolve, reject) => {
        waiters.push({ count: statements.length, resolve, reject, refuse });
      });
      waiting.push(...statements);
      // Whoever waits for the rows sees a failure; nobody has to.
      rows.catch(() => {});
      return rows;
    },
    flush: async () => {
      if (ended) throw new Error("the transaction has ended");
      if (waiting.length > 0) await send([]);
    },
    commitWithNext: () => {
      // Not when a deferred statement may still refuse: its refusal must come before COMMIT.
      if (ended || aborted || options.commitWithLast !== true || waiters.some((w) => w.refuse !== undefined))
        return false;
      commitNext = true;
      return true;
    },
    commit: async (last) => {
      if (committedEarly && last === undefined) return [];
      if (ended) throw new Error("the transaction has ended");
      // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, not an error.
      if (aborted) {
        ended = true;
        await release();
        throw new Error("a statement of the transaction failed: it can only roll back");
      }
      try {
        // What may refuse goes first, alone: a refusal must come before COMMIT, not with it.
        if (waiters.some((w) => w.refuse !== undefined)) await send([]);
        ended = true;
        const results = await send(last === undefined ? ["commit"] : [last, "commit"]);
        open = false;
        await release();
        return last === undefined ? [] : [results[0]?.rows ?? []];
      } catch (error) {
        // A failed statement leaves the transaction aborted (the COMMIT after it never ran).
        ended = true;
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
  heldOf.set(em, tx);
  return tx;
};

/** A value inlined into a statement sent without parameters (strings quoted as the driver's `escapeLiteral` does). */
export const literal = (value: string | number | null): string => {
  if (value === null) return "null";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  return quoteLiteral(value);
};

/**
 * The advisory lock of a name, as an SQL expression with the name inlined (`hashtextextended`:
 * PostgreSQL's own 64-bit hash), so that it can travel with BEGIN.
 */
export const lockOf = (name: string): string => `pg_advisory_xact_lock(hashtextextended(${literal(name)}, 0))`;

/**
 * Runs `self` in a transaction that first takes the advisory lock on `name`, held until it ends.
 * BEGIN and the lock travel with the transaction's first statement (whose snapshot, taken after
 * the lock, sees what the lock's previous holder committed); inside a transaction already, the
 * lock travels with its next statement, or is one statement of it once it has begun. Commit hooks run as with `withTransaction`.
 */
export const withLockedTransaction =
  (orm: Orm, name: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | RepositoryError, R> =>
    Effect.gen(function* () {
      const lock = `select ${lockOf(name)}`;
      const current = yield* CurrentEntityManager;
      if (current !== null) {
        const held = heldTransactionOf(current);
        // Not yet begun (a keyed request's transaction): the lock travels with the first statement.
        if (held?.deferring) {
          held.defer([lock]);
          return yield* self;
        }
        yield* Effect.tryPromise({
          try: () => current.execute(lock),
          catch: (cause) => new RepositoryError({ cause }),
        });
        return yield* self;
      }
      return yield* Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          const tx = yield* Effect.tryPromise({
            try: () => begin(orm, { commitWithLast: true }),
            catch: (cause) => new RepositoryError({ cause }),
          });
          tx.defer([lock]);
          const exit = yield* Effect.exit(restore(Effect.provideService(self, CurrentEntityManager, tx.em)));
          if (Exit.isSuccess(exit)) {
            yield* Effect.tryPromise({ try: () => tx.commit(), catch: (cause) => new RepositoryError({ cause }) }).pipe(
              Effect.tapError(() => Effect.sync(() => rolledBack(tx.em))),
            );
            // Without hooks, no wait for a promise that has nothing to do (a suspension of the fiber).
            if (hasCommitHooks(tx.em)) yield* Effect.promise(() => committed(tx.em));
          } else {
            rolledBack(tx.em);
            yield* Effect.promise(() => tx.rollback().catch(() => {}));
          }
          // Ended, its hooks run or dropped, and nothing of `self` runs any more.
          spare(orm, tx);
          return yield* exit;
        }),
      );
    });

import { RepositoryError } from "@admit/domain";
import type { EntityManager } from "@mikro-orm/postgresql";
import { Context, Effect, Exit } from "effect";
import type { CredentialCache } from "./credentialCache.ts";
import type { Orm } from "./orm.ts";
import type { TokenSealer } from "./sealing.ts";

/**
 * The MikroORM instance of the process, the sealer for tokens the mailer must read, and the
 * process's credential cache (null: every credential lookup reads the database).
 */
export class Database extends Context.Service<
  Database,
  { readonly orm: Orm; readonly sealer: TokenSealer; readonly credentials: CredentialCache | null }
>()("@admit/db/Database") {}

/** An entity manager inside a transaction, as handed to `CurrentEntityManager`. */
export type TransactionManager = EntityManager;

/** The entity manager of the transaction the current fiber runs in, if any. */
export const CurrentEntityManager = Context.Reference<EntityManager | null>("@admit/db/CurrentEntityManager", {
  defaultValue: () => null,
});

export type Row = Record<string, unknown>;

const commitHooks = new WeakMap<EntityManager, Array<() => Promise<void>>>();

/**
 * Runs `hook` once the transaction of `em` has committed, before whoever committed it answers
 * (dropped if it rolls back). For what must hold when the caller hears back yet can only happen
 * after the commit, such as other processes having seen a credential's change.
 */
export const afterCommit = (em: EntityManager, hook: () => Promise<void>): void => {
  const hooks = commitHooks.get(em);
  if (hooks) hooks.push(hook);
  else commitHooks.set(em, [hook]);
};

/** Every place that commits a transaction calls this right after the commit succeeds. */
export const committed = async (em: EntityManager): Promise<void> => {
  const hooks = commitHooks.get(em);
  if (hooks === undefined) return;
  commitHooks.delete(em);
  await Promise.all(hooks.map((hook) => hook()));
};

/** Every place that rolls a transaction back calls this, so its hooks never run. */
export const rolledBack = (em: EntityManager): void => {
  commitHooks.delete(em);
};

/**
 * Builds the adapters' query function: statements run on the current transaction when there is
 * one, otherwise on a fresh fork (autocommit). Placeholders are `?`; arrays go through `pgArray`.
 */
export const makeQuery = (orm: Orm) =>
  Effect.fnUntraced(function* <T extends Row = Row>(sql: string, params: ReadonlyArray<unknown> = []) {
    const em = (yield* CurrentEntityManager) ?? orm.em.fork();
    return yield* Effect.tryPromise({
      try: (signal) => em.execute<T[]>(sql, params as unknown[], "all", { signal } as never),
      catch: (cause) => new RepositoryError({ cause }),
    });
  });

export type Query = ReturnType<typeof makeQuery>;

/** Runs `self` in one transaction (joining the current one when already inside a transaction). */
export const withTransaction =
  (orm: Orm) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | RepositoryError, R> =>
    Effect.gen(function* () {
      if ((yield* CurrentEntityManager) !== null) return yield* self;
      return yield* Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          const em = orm.em.fork();
          yield* Effect.tryPromise({ try: () => em.begin(), catch: (cause) => new RepositoryError({ cause }) });
          const exit = yield* Effect.exit(restore(Effect.provideService(self, CurrentEntityManager, em)));
          if (Exit.isSuccess(exit)) {
            yield* Effect.tryPromise({
              try: () => em.commit(),
              catch: (cause) => new RepositoryError({ cause }),
            }).pipe(
              Effect.tapError(() =>
                Effect.promise(() => {
                  rolledBack(em);
                  return em.rollback().catch(() => {});
                }),
              ),
            );
            yield* Effect.promise(() => committed(em));
          } else {
            rolledBack(em);
            yield* Effect.promise(() => em.rollback().catch(() => {}));
          }
          return yield* exit;
        }),
      );
    });

/** A PostgreSQL array literal, so that one placeholder carries a whole column (`?::uuid[]`). */
export const pgArray = (values: ReadonlyArray<string | number | boolean | Date | null>): string =>
  `{${values
    .map((v) => {
      if (v === null) return "NULL";
      const s = v instanceof Date ? v.toISOString() : String(v);
      return `"${s.replace(/[\\"]/g, "\\$&")}"`;
    })
    .join(",")}}`;

const toDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
export const date = toDate;
export const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : toDate(v));

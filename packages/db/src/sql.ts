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

/** Whether hooks wait for the commit of `em`'s transaction (`committed` has something to do). */
export const hasCommitHooks = (em: EntityManager): boolean => commitHooks.has(em);

/** Every place that rolls a transaction back calls this, so its hooks never run. */
export const rolledBack = (em: EntityManager): void => {
  commitHooks.delete(em);
};

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

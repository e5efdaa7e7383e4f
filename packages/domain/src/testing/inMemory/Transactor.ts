import { Context, Effect, Layer, Ref, Semaphore } from "effect";
import { Transactor } from "../../shared/Transactor.ts";
import { guard, Store } from "./Store.ts";

/** The transaction the current fiber runs in, if any: the lock of the transactor that opened it. */
const CurrentTransaction = Context.Reference<Semaphore.Semaphore | null>("@admit/domain/testing/CurrentTransaction", {
  defaultValue: () => null,
});

/**
 * Runs transactions one at a time (so `serializeOn` holds without more) and rolls the store back to its state at the start when the
 * effect fails (or is interrupted) or the commit fails. Inside a transaction, `withTransaction`
 * joins it.
 */
export const TransactorTest = Layer.effect(
  Transactor,
  Effect.gen(function* () {
    const store = yield* Store;
    const lock = yield* Semaphore.make(1);
    return Transactor.of({
      withTransaction: (self) =>
        Effect.gen(function* () {
          if ((yield* CurrentTransaction) === lock) return yield* self;
          return yield* lock.withPermit(
            Effect.gen(function* () {
              const before = yield* Ref.get(store.state);
              const rollback = Ref.set(store.state, before);
              const result = yield* Effect.onError(
                Effect.provideService(self, CurrentTransaction, lock),
                () => rollback,
              );
              yield* Effect.onError(guard(store, "Transactor.commit"), () => rollback);
              return result;
            }),
          );
        }),
    });
  }),
);

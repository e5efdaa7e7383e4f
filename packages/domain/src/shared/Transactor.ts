import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";

export interface TransactionOptions {
  /**
   * A name that transactions passing the same one take turns on: the transaction first waits for
   * any other holding it, and holds it until it ends (joining a transaction, it is taken there).
   */
  readonly serializeOn?: string | undefined;
}

/**
 * Runs an effect in one database transaction: every repository call inside it sees and writes
 * the same transaction, which commits when the effect succeeds and rolls back when it fails.
 */
export class Transactor extends Context.Service<
  Transactor,
  {
    withTransaction<A, E, R>(
      self: Effect.Effect<A, E, R>,
      options?: TransactionOptions,
    ): Effect.Effect<A, E | RepositoryError, R>;
  }
>()("@admit/domain/Transactor") {}

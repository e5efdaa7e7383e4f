import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";

/**
 * Runs an effect in one database transaction: every repository call inside it sees and writes
 * the same transaction, which commits when the effect succeeds and rolls back when it fails.
 */
export class Transactor extends Context.Service<
  Transactor,
  {
    withTransaction<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | RepositoryError, R>;
  }
>()("@admit/domain/Transactor") {}

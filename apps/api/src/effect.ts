import { CurrentEntityManager, type TransactionManager } from "@admit/db";
import type { DomainError } from "@admit/domain";
import { TRPCError } from "@trpc/server";
import { Cause, Effect, Exit } from "effect";
import { databaseUnavailable, isDatabaseUnavailable, toTRPCError } from "./errors.ts";
import type { AppRuntime, AppServices } from "./runtime.ts";

interface RunContext {
  readonly runtime: AppRuntime;
  readonly signal: AbortSignal | undefined;
  readonly transaction?: TransactionManager | undefined;
}

/**
 * The one bridge from tRPC to the domain: runs a use case on the process runtime, interrupted
 * when the request is aborted, and turns its failure into the mapped tRPC error.
 */
export const runEffect = async <A, E extends DomainError>(
  ctx: RunContext,
  effect: Effect.Effect<A, E, AppServices>,
): Promise<A> => {
  // A keyed request's use cases run in its transaction (their own `withTransaction` joins it).
  const run = ctx.transaction ? Effect.provideService(effect, CurrentEntityManager, ctx.transaction) : effect;
  const exit = await ctx.runtime.runPromiseExit(run, { signal: ctx.signal });
  if (Exit.isSuccess(exit)) return exit.value;
  const failure = Cause.findErrorOption(exit.cause);
  if (failure._tag === "Some") {
    // Internal failures keep their cause for the server's log; the formatter hides it from callers.
    throw toTRPCError(failure.value as DomainError);
  }
  if (Cause.hasInterruptsOnly(exit.cause)) {
    throw new TRPCError({ code: "CLIENT_CLOSED_REQUEST", message: "Request aborted" });
  }
  const defect = Cause.squash(exit.cause);
  if (isDatabaseUnavailable(defect)) throw databaseUnavailable(defect);
  console.error("use case died", Cause.pretty(exit.cause));
  throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error" });
};

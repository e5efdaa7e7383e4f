import type { TransactionManager } from "@admit/db";
import { authenticate, type Principal } from "@admit/domain";
import { initTRPC } from "@trpc/server";
import { runEffect } from "./effect.ts";
import { errorData, publicMessage, reasonError } from "./errors.ts";
import type { IdempotencyRefusal } from "./idempotency.ts";
import type { ProcedureMeta } from "./meta.ts";
import type { AppRuntime } from "./runtime.ts";

export interface Context {
  readonly runtime: AppRuntime;
  readonly publicUrl: string;
  /** The bearer secret of the request, if any. */
  readonly secret: string | null;
  readonly signal: AbortSignal | undefined;
  /** The transaction of a request sent with an Idempotency-Key: every use case of it joins this one. */
  readonly transaction?: TransactionManager | undefined;
  /** Why a keyed mutation is refused before it runs (bad key, key reused, request in progress). */
  readonly idempotencyRefusal?: IdempotencyRefusal | undefined;
}

// The router is typed with an empty context so that its type, which `@admit/client` publishes,
// carries procedures and errors only, never the server's runtime; the base procedure below gives
// every handler the real Context.
const t = initTRPC
  .context<object>()
  .meta<ProcedureMeta>()
  .create({
    isDev: false,
    errorFormatter({ shape, error }) {
      const data = errorData(error);
      return {
        ...shape,
        message: publicMessage(error, data),
        data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, ...data },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Every procedure starts here: a mutation whose Idempotency-Key was refused stops before its input is read. */
export const publicProcedure = t.procedure.meta({ access: "public" }).use(({ ctx, type, next }) => {
  const context = ctx as Context;
  if (type === "mutation" && context.idempotencyRefusal) throw context.idempotencyRefusal.toTRPCError();
  return next({ ctx: context });
});

/** Authenticated by an API key (global or organization), the root key, or a user token. */
export const principalProcedure = publicProcedure.meta({ access: "principal" }).use(async ({ ctx, next }) => {
  const principal: Principal = await runEffect(ctx, authenticate(ctx.secret));
  return next({ ctx: { ...ctx, principal } });
});

/** Authenticated by an API key or the root key: user tokens are refused. */
export const keyProcedure = principalProcedure.meta({ access: "key" }).use(({ ctx, next }) => {
  if (ctx.principal.kind === "user") {
    throw reasonError("api_key_required");
  }
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});

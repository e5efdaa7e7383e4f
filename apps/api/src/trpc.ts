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

/** A mutation whose Idempotency-Key was refused stops before its input is read. */
const refuseKeyed = (ctx: Context, type: string) => {
  if (type === "mutation" && ctx.idempotencyRefusal) throw ctx.idempotencyRefusal.toTRPCError();
};

/** The principal of the request, or a tRPC error. */
const authenticated = (ctx: Context): Promise<Principal> => runEffect(ctx, authenticate(ctx.secret));

// Each procedure below has one middleware of its own: tRPC copies its options, and the context,
// at every middleware a call goes through (a tenth of the allocation of an invite, when these
// were three middlewares stacked). A middleware hands `next` only what it adds to the context.

/** Every procedure starts here or below. */
export const publicProcedure = t.procedure.meta({ access: "public" }).use(({ ctx, type, next }) => {
  const context = ctx as Context;
  refuseKeyed(context, type);
  return next({ ctx: context });
});

/** Authenticated by an API key (global or organization), the root key, or a user token. */
export const principalProcedure = t.procedure.meta({ access: "principal" }).use(async ({ ctx, type, next }) => {
  const context = ctx as Context;
  refuseKeyed(context, type);
  const principal = await authenticated(context);
  return next({ ctx: { ...context, principal } });
});

/** Authenticated by an API key or the root key: user tokens are refused. */
export const keyProcedure = t.procedure.meta({ access: "key" }).use(async ({ ctx, type, next }) => {
  const context = ctx as Context;
  refuseKeyed(context, type);
  const principal = await authenticated(context);
  if (principal.kind === "user") {
    throw reasonError("api_key_required");
  }
  return next({ ctx: { ...context, principal } });
});

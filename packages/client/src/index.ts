// A type-only import: the client carries the router's types, never the server's code. The built
// declarations (dist/index.d.mts) inline them, so an app needs no `@admit/api`.
import type { AppRouter } from "@admit/api/router";
import { createTRPCClient, httpBatchLink, httpLink, type Operation, splitLink, type TRPCClient } from "@trpc/client";

export type { AppRouter, RouterInputs, RouterOutputs } from "@admit/api/router";
export { TRPCClientError } from "@trpc/client";

export interface AdmitClientOptions {
  /** Base URL of the Admit API, e.g. `http://localhost:3000`. */
  readonly url: string;
  /** An API key, the root key or a user token. */
  readonly apiKey?: string;
  /** Group concurrent calls into one HTTP request (default true). */
  readonly batch?: boolean;
  readonly fetch?: typeof fetch;
  /** Extra headers for every request. For an `Idempotency-Key`, use the per-call `context` (see below). */
  readonly headers?: () => Record<string, string>;
}

/**
 * Per-call options: `admit.invites.create.mutate(input, { context: { idempotencyKey } })` sends the
 * call alone (never batched) with that `Idempotency-Key`; a retry with the same key gets the first
 * answer again instead of doing the work twice.
 */
export interface AdmitCallContext {
  readonly idempotencyKey?: string;
}

const keyOf = (op: Operation): string | undefined => {
  const key = (op.context as AdmitCallContext).idempotencyKey;
  return typeof key === "string" ? key : undefined;
};

/** The typed client internal apps use: `client.invites.create.mutate({ ... })`. */
export const createAdmitClient = (options: AdmitClientOptions): AdmitClient => {
  const url = `${options.url.replace(/\/$/, "")}/trpc`;
  const common = {
    url,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const baseHeaders = () => ({
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    ...(options.headers?.() ?? {}),
  });
  const plain = (options.batch === false ? httpLink : httpBatchLink)({ ...common, headers: baseHeaders });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => keyOf(op) !== undefined,
        true: httpLink({
          ...common,
          headers: ({ op }) => ({ ...baseHeaders(), "idempotency-key": keyOf(op) as string }),
        }),
        false: plain,
      }),
    ],
  });
};

export type AdmitClient = TRPCClient<AppRouter>;

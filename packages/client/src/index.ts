// A type-only import: the client carries the router's types, never the server's code. The built
// declarations (dist/index.d.mts) inline them, so an app needs no `@admit/api`.
import type { AppRouter } from "@admit/api/router";
import { createTRPCClient, httpBatchLink, httpLink, type TRPCClient } from "@trpc/client";

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
  /** Extra headers for every request (e.g. `Idempotency-Key`). */
  readonly headers?: () => Record<string, string>;
}

/** The typed client internal apps use: `client.invites.create.mutate({ ... })`. */
export const createAdmitClient = (options: AdmitClientOptions): AdmitClient => {
  const link = options.batch === false ? httpLink : httpBatchLink;
  return createTRPCClient<AppRouter>({
    links: [
      link({
        url: `${options.url.replace(/\/$/, "")}/trpc`,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        headers: () => ({
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          ...(options.headers?.() ?? {}),
        }),
      }),
    ],
  });
};

export type AdmitClient = TRPCClient<AppRouter>;

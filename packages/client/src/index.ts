import { createTRPCClient, httpBatchLink, httpLink } from "@trpc/client";
// A type-only import: the client carries the router's types, never the server's code, and the
// API's tests can use this client without a package cycle.
import type { AppRouter } from "../../../apps/api/src/router.ts";

export { TRPCClientError } from "@trpc/client";
export type { AppRouter, RouterInputs, RouterOutputs } from "../../../apps/api/src/router.ts";

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
export const createAdmitClient = (options: AdmitClientOptions) => {
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

export type AdmitClient = ReturnType<typeof createAdmitClient>;

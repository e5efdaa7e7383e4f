import type { IncomingHttpHeaders } from "node:http";
import {
  type AnyTRPCProcedure,
  callTRPCProcedure,
  getErrorShape,
  getTRPCErrorFromUnknown,
  TRPCError,
  type TRPCRouterRecord,
  transformTRPCResponse,
} from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { RETRY_AFTER_SECONDS } from "./errors.ts";
import type { HttpAnswer } from "./idempotency.ts";
import { appRouter } from "./router.ts";
import type { Context } from "./trpc.ts";

/**
 * tRPC over `node:http`. The common call — one procedure (no batch), JSON in and out, a query by
 * GET or a mutation by POST — is answered here, from the router's procedure, as tRPC's own
 * handler answers it: same envelope, error shape, status and headers. Everything else (batches,
 * other content types, a method the procedure does not take, an unknown or encoded path,
 * streaming) goes through tRPC's fetch adapter, unchanged.
 *
 * Why: the fetch adapter copies every request into a `Headers` and a `Request` and every answer
 * into a `Response`, whose body is encoded to bytes and read back as text before it reaches the
 * socket. Measured on `invites.list` (see docs/decisions.md): a third of the API's CPU per request
 * for a page of 50, a fifth for a page of 1,000, and two copies of every large answer in memory.
 */

export const TRPC_PREFIX = "/trpc/";

const config = appRouter._def._config;

/** Every procedure of the router by its path (`invites.list`). */
const procedures = new Map<string, AnyTRPCProcedure>();
const collect = (record: TRPCRouterRecord, prefix: string) => {
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === "function") procedures.set(`${prefix}${key}`, value);
    else collect(value, `${prefix}${key}.`);
  }
};
collect(appRouter._def.record, "");

/** `invites.list`: what tRPC reads as a path without decoding or trimming anything. */
const PLAIN_PATH = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;

const METHOD_OF = { query: "GET", mutation: "POST" } as const;

const JSON_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  vary: "trpc-accept, accept",
};

/** As the fetch `Request.text()` tRPC reads a body with: UTF-8, a leading BOM dropped, bad bytes replaced. */
const utf8 = new TextDecoder();

const mediaType = (header: string) => header.split(";", 1)[0]?.trim().toLowerCase();

export interface TrpcRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** The body as read (POST), or undefined. */
  readonly body: Buffer | undefined;
}

/** Logs what callers only see as `internal_error`. */
const logInternal = (error: TRPCError, path: string | undefined) => {
  if (error.code === "INTERNAL_SERVER_ERROR") console.error(`[api] ${path ?? "?"} failed:`, error.cause ?? error);
};

const retryAfter = (errors: ReadonlyArray<TRPCError>): Record<string, string> =>
  errors.some((e) => e.code === "SERVICE_UNAVAILABLE") ? { "retry-after": String(RETRY_AFTER_SECONDS) } : {};

/** The procedure a request can be answered for here, or null when tRPC's adapter must answer it. */
const directCall = (request: TrpcRequest) => {
  // tRPC batches only on `batch=1`; any `batch` parameter is left to it.
  if (request.url.searchParams.has("batch")) return null;
  const path = request.url.pathname.slice(TRPC_PREFIX.length);
  if (!PLAIN_PATH.test(path)) return null;
  const type = procedures.get(path)?._def.type;
  if (type !== "query" && type !== "mutation") return null;
  if (METHOD_OF[type] !== request.method) return null;
  // tRPC reads JSON from a request that says it is JSON, or from a GET that says nothing.
  const contentType = request.headers["content-type"];
  if (contentType === undefined ? request.method !== "GET" : mediaType(contentType) !== "application/json") return null;
  // Streaming answers are asked for with these headers.
  if (request.headers["trpc-accept"] !== undefined || request.headers.accept?.includes("application/jsonl"))
    return null;
  return { path, type };
};

/** Answers a tRPC request (GET or POST) with the given context. */
export const answerTrpc = async (request: TrpcRequest, ctx: Context): Promise<HttpAnswer> => {
  const call = directCall(request);
  if (call === null) return viaFetchAdapter(request, ctx);
  const { path, type } = call;
  // Read when the procedure asks for it (after its middlewares), as tRPC does; a body that is not
  // JSON is a BAD_REQUEST whose cause is the SyntaxError.
  let input: { readonly value: unknown } | undefined;
  const getRawInput = async () => {
    if (input !== undefined) return input.value;
    const text = type === "query" ? request.url.searchParams.get("input") : utf8.decode(request.body ?? EMPTY);
    let value: unknown;
    try {
      value = text ? config.transformer.input.deserialize(JSON.parse(text)) : undefined;
    } catch (cause) {
      if (cause instanceof TRPCError) throw cause;
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: cause instanceof Error ? cause.message : "Invalid input",
        cause,
      });
    }
    input = { value };
    return value;
  };
  try {
    const data: unknown = await callTRPCProcedure({
      router: appRouter,
      path,
      type,
      ctx,
      getRawInput,
      signal: ctx.signal,
      batchIndex: 0,
    });
    return {
      status: 200,
      headers: JSON_HEADERS,
      // What `transformTRPCResponse` answers for a result, without its copies of the envelope.
      body: JSON.stringify({ result: { data: config.transformer.output.serialize(data) } }),
    };
  } catch (cause) {
    const error = getTRPCErrorFromUnknown(cause);
    logInternal(error, path);
    const shape = getErrorShape({ config, error, type, path, input: input?.value, ctx });
    const status =
      typeof shape.data.httpStatus === "number" ? shape.data.httpStatus : getHTTPStatusCodeFromError(error);
    return {
      status,
      headers: { ...JSON_HEADERS, ...retryAfter([error]) },
      body: JSON.stringify(transformTRPCResponse(config, { error: shape })),
    };
  }
};

const EMPTY = Buffer.alloc(0);

/** tRPC's fetch adapter, for the requests answered by tRPC itself. */
const viaFetchAdapter = async (request: TrpcRequest, ctx: Context): Promise<HttpAnswer> => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    try {
      if (typeof value === "string") headers.set(name, value);
      else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    } catch {
      // A header the fetch API cannot represent is not one tRPC reads.
    }
  }
  const response = await fetchRequestHandler({
    endpoint: "/trpc",
    req: new Request(request.url, {
      method: request.method,
      headers,
      body: request.body?.length ? request.body : undefined,
    }),
    router: appRouter,
    createContext: () => ctx,
    responseMeta: ({ errors }) => ({ headers: new Headers(retryAfter(errors)) }),
    onError: ({ error, path }) => logInternal(error, path),
  });
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== "content-length") out[name] = value;
  });
  return { status: response.status, headers: out, body: await response.text() };
};

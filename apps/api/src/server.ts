import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { databaseReadiness, initOrm, makeTokenSealer, type Orm, startCredentialCache } from "@admit/db";
import { getErrorShape, type TRPC_ERROR_CODE_KEY, TRPCError } from "@trpc/server";
import { type ApiConfig, DEFAULT_SHUTDOWN_TIMEOUT_MS } from "./config.ts";
import { type EdgeReason, ErrorDetails, isDatabaseUnavailable, RETRY_AFTER_SECONDS } from "./errors.ts";
import { handlePostmarkHook } from "./hooks/postmark.ts";
import { type HttpAnswer, IDEMPOTENCY_HEADER, IdempotencyRefusal, keyedRequest, runIdempotent } from "./idempotency.ts";
import { answerPage, declinePage, invitePage } from "./pages/invite.ts";
import { joinPage } from "./pages/join.ts";
import type { Page } from "./pages/layout.ts";
import { handleRest, type RestResponse, restError } from "./rest/handler.ts";
import { openApiDocument } from "./rest/openapi.ts";
import { appRouter } from "./router.ts";
import { type AppRuntime, makeRuntime } from "./runtime.ts";
import type { Context } from "./trpc.ts";
import { answerTrpc, TRPC_PREFIX } from "./trpcHttp.ts";

/** Calls named by a tRPC path; tRPC reads the path decoded, so a comma written `%2C` counts too. */
const procedureCount = (pathname: string): number => {
  let path = pathname.slice(TRPC_PREFIX.length);
  try {
    path = decodeURIComponent(path);
  } catch {}
  return path.split(",").length;
};

export const MAX_BODY_BYTES = 1024 * 1024;

/** Headers on every answer, whatever produced it. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = { "x-content-type-options": "nosniff" };

/** A slow client gets this long to send its headers, and this long for the whole request. */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;

class BodyTooLarge extends Error {}

/**
 * Reads a request body up to MAX_BODY_BYTES. A larger body is drained (not kept) so that the 413
 * answer reaches the client; one far beyond the limit is cut off.
 */
const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > 16 * MAX_BODY_BYTES) req.destroy();
      else if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => (size > MAX_BODY_BYTES ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on("error", reject);
  });

/**
 * A body goes to the socket as bytes, encoded once here. Given the string, Node's HTTP layer
 * joins it to the headers and encodes it as it writes: for a page of 1,000 invites (560 kB) that
 * measured 1.5–2 ms more CPU per answer than `Buffer.from`, and the same within noise for small ones.
 */
const bytesOf = (text: string): Buffer => Buffer.from(text, "utf8");

const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const payload = bytesOf(JSON.stringify(body));
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": payload.length,
  });
  res.end(res.req.method === "HEAD" ? undefined : payload);
};

/** A REST answer as the text sent, so that an idempotent request can store it. */
const restAnswer = (answer: RestResponse): HttpAnswer =>
  answer.body === undefined
    ? { status: answer.status, headers: { ...answer.headers }, body: "" }
    : {
        status: answer.status,
        headers: { ...answer.headers, "content-type": "application/json" },
        body: JSON.stringify(answer.body),
      };

const sendAnswer = (res: ServerResponse, answer: HttpAnswer) => {
  if (answer.body === "") {
    res.writeHead(answer.status, answer.headers);
    res.end();
  } else {
    const payload = bytesOf(answer.body);
    res.writeHead(answer.status, { ...answer.headers, "content-length": payload.length });
    res.end(payload);
  }
};

const sendRest = (res: ServerResponse, answer: RestResponse) => {
  if (answer.body === undefined) {
    res.writeHead(answer.status, answer.headers ?? {});
    res.end();
  } else sendJson(res, answer.status, answer.body, answer.headers);
};

/** An error in tRPC's own envelope, for the cases answered before tRPC sees the request. */
const trpcErrorBody = (code: TRPC_ERROR_CODE_KEY, reason: EdgeReason) => {
  const error = new TRPCError({ code, cause: new ErrorDetails(reason) });
  const shape = getErrorShape({
    config: appRouter._def._config,
    error,
    type: "unknown",
    path: undefined,
    input: undefined,
    ctx: undefined,
  });
  return { status: shape.data.httpStatus, body: { error: shape } };
};

const sendTrpcError = (
  res: ServerResponse,
  code: TRPC_ERROR_CODE_KEY,
  reason: EdgeReason,
  headers: Record<string, string> = {},
) => {
  const { status, body } = trpcErrorBody(code, reason);
  sendJson(res, status, body, headers);
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request",
  405: "Method Not Allowed",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

/**
 * The answer to a request the HTTP parser refused (malformed, an unknown method, headers too
 * large or too slow), in the error shape of the protocol its path names.
 */
const parserErrorResponse = (error: NodeJS.ErrnoException & { rawPacket?: Buffer }): string => {
  const [status, code, reason] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? ([431, "BAD_REQUEST", "headers_too_large"] as const)
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? ([408, "TIMEOUT", "request_timeout"] as const)
        : error.code === "HPE_INVALID_METHOD"
          ? ([405, "METHOD_NOT_SUPPORTED", "method_not_allowed"] as const)
          : ([400, "BAD_REQUEST", "malformed_request"] as const);
  const path = /^\S+ (\S+)/.exec(error.rawPacket?.subarray(0, 2048).toString("latin1") ?? "")?.[1] ?? "";
  const body = path.startsWith("/trpc/") ? trpcErrorBody(code, reason).body : restError(status, code, reason).body;
  const payload = JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(payload)}`,
    ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
    "connection: close",
  ];
  return `${head.join("\r\n")}\r\n\r\n${payload}`;
};

const bearer = (header: string | undefined): string | null => {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1] ?? null;
};

/** The methods tRPC answers; anything else is a 405 before a body is read (REST routes list their own). */
const TRPC_METHODS = new Set(["GET", "POST"]);
const READ_METHODS = new Set(["GET", "HEAD"]);

/** A link invite's page: `/join/<organizationId>/<code>`. */
const JOIN_PATH = /^\/join\/([^/]+)\/([^/]+)$/;

const pathSegment = (segment: string | undefined): string => {
  try {
    return decodeURIComponent(segment ?? "");
  } catch {
    return "";
  }
};

const METHOD_NOT_ALLOWED_PAGE: Page = {
  status: 405,
  html: "Method not allowed",
  csp: "default-src 'none'; frame-ancestors 'none'",
};

export interface ApiServer {
  readonly server: Server;
  readonly url: string;
  readonly orm: Orm;
  readonly runtime: AppRuntime;
  /**
   * Shuts down: /readyz answers 503 and every answer carries `Connection: close` at once, no new
   * connection is accepted, requests in flight finish; connections still open when the
   * shutdown timeout ends are cut. Then releases the database. Answers whether it was cut.
   */
  close(): Promise<{ readonly forced: boolean }>;
}

export const startApiServer = async (config: ApiConfig, options: { orm?: Orm } = {}): Promise<ApiServer> => {
  const orm = options.orm ?? (await initOrm({ databaseUrl: config.databaseUrl, poolSize: 20 }));
  // Authentication without a round trip per request; revocations reach it through LISTEN/NOTIFY.
  const credentials = startCredentialCache({
    databaseUrl: config.databaseUrl,
    log: (line) => console.warn(`[api] ${line}`),
  });
  const runtime = makeRuntime(orm, config, credentials);
  // Seals stored answers that show a secret (see idempotency.ts).
  const answerSealer = makeTokenSealer(config.tokenEncryptionKey);
  let draining = false;
  const inFlight = new Set<ServerResponse>();

  const context = (req: IncomingMessage, res: ServerResponse): Context => {
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    return { runtime, publicUrl: config.publicUrl, secret: bearer(req.headers.authorization), signal: abort.signal };
  };

  const body = async (req: IncomingMessage): Promise<Buffer | undefined> =>
    READ_METHODS.has(req.method ?? "GET") ? undefined : readBody(req);

  const ready = async (res: ServerResponse) => {
    const database = draining ? "shutting_down" : await databaseReadiness(orm);
    // Shutdown may begin while the database answers: a probe in flight then says so too.
    const status = draining ? "shutting_down" : database;
    sendJson(res, status === "ready" ? 200 : 503, { status });
  };

  /** The invitee's pages: the email's link (accept, decline), the answers to their forms, and link invites. */
  const servePage = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<Page> => {
    const ctx = context(req, res);
    const request = { acceptLanguage: req.headers["accept-language"] ?? null };
    const read = READ_METHODS.has(req.method ?? "");
    const joinPath = JOIN_PATH.exec(url.pathname);
    if (joinPath !== null) {
      if (!read) return METHOD_NOT_ALLOWED_PAGE;
      return joinPage(ctx, pathSegment(joinPath[1]), pathSegment(joinPath[2]), request);
    }
    const action = url.pathname === "/invites/accept" ? "accept" : "decline";
    if (req.method === "POST") {
      const raw = await body(req);
      return answerPage(ctx, action, new URLSearchParams(raw?.toString("utf8") ?? ""), request);
    }
    if (!read) return METHOD_NOT_ALLOWED_PAGE;
    const token = url.searchParams.get("token") ?? "";
    return action === "accept" ? invitePage(ctx, token, request) : declinePage(ctx, token, request);
  };

  const page = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const answer = await servePage(req, res, url);
    res.writeHead(answer.status, {
      "content-type": "text/html; charset=utf-8",
      "content-length": Buffer.byteLength(answer.html),
      "content-security-policy": answer.csp,
      "x-content-type-options": "nosniff",
      // The token or link code is in the url: no other site may learn it from a Referer.
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
      ...(answer.status === 405 ? { allow: JOIN_PATH.test(url.pathname) ? "GET, HEAD" : "GET, HEAD, POST" } : {}),
      ...(answer.status === 503 ? { "retry-after": String(RETRY_AFTER_SECONDS) } : {}),
    });
    res.end(req.method === "HEAD" ? undefined : answer.html);
  };

  /**
   * Runs a request through `produce`; a mutation with an `Idempotency-Key` runs inside the key's
   * transaction, or answers the stored first answer (see idempotency.ts).
   */
  const withKey = async (
    req: IncomingMessage,
    url: URL,
    raw: Buffer | undefined,
    ctx: Context,
    mutation: { readonly calls: number; readonly onDatabaseDown: () => HttpAnswer } | null,
    produce: (ctx: Context) => Promise<HttpAnswer>,
  ): Promise<HttpAnswer> => {
    const keyed =
      mutation === null
        ? null
        : keyedRequest({
            header: req.headers[IDEMPOTENCY_HEADER],
            secret: ctx.secret,
            method: req.method ?? "POST",
            url,
            body: raw,
            calls: mutation.calls,
          });
    if (keyed === null) return produce(ctx);
    if (keyed instanceof IdempotencyRefusal) return produce({ ...ctx, idempotencyRefusal: keyed });
    try {
      return await runIdempotent(orm, answerSealer, keyed, ({ transaction, refusal }) =>
        produce({ ...ctx, transaction, idempotencyRefusal: refusal }),
      );
    } catch (error) {
      if (mutation !== null && isDatabaseUnavailable(error)) return mutation.onDatabaseDown();
      throw error;
    }
  };

  const rest = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const method = req.method ?? "GET";
    const raw = await body(req);
    const mutation = READ_METHODS.has(method)
      ? null
      : {
          calls: 1,
          onDatabaseDown: () =>
            restAnswer(
              restError(503, "SERVICE_UNAVAILABLE", "database_unavailable", undefined, {
                "retry-after": String(RETRY_AFTER_SECONDS),
              }),
            ),
        };
    const answer = await withKey(req, url, raw, context(req, res), mutation, async (ctx) =>
      restAnswer(await handleRest(method, url, raw, req.headers["content-type"], ctx)),
    );
    sendAnswer(res, answer);
  };

  const trpc = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    // The fetch `Request` refuses TRACE, CONNECT and TRACK outright; tRPC serves GET and POST only.
    if (!TRPC_METHODS.has(req.method ?? "")) {
      return sendTrpcError(res, "METHOD_NOT_SUPPORTED", "method_not_allowed", { allow: "GET, POST" });
    }
    const raw = await body(req);
    const mutation =
      req.method === "POST"
        ? {
            calls: procedureCount(url.pathname),
            onDatabaseDown: (): HttpAnswer => {
              const { status, body } = trpcErrorBody("SERVICE_UNAVAILABLE", "database_unavailable");
              return {
                status,
                headers: { "content-type": "application/json", "retry-after": String(RETRY_AFTER_SECONDS) },
                body: JSON.stringify(body),
              };
            },
          }
        : null;
    const request = { method: req.method ?? "GET", url, headers: req.headers, body: raw };
    const answer = await withKey(req, url, raw, context(req, res), mutation, (ctx) => answerTrpc(request, ctx));
    sendAnswer(res, answer);
  };

  /**
   * Where each request goes, first match wins. A handler that reads a body is told which error
   * shape a 413 takes on its protocol.
   */
  const table: ReadonlyArray<{
    readonly match: (path: string) => boolean;
    readonly protocol: "rest" | "trpc";
    readonly handle: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;
  }> = [
    { match: (p) => p === "/healthz", protocol: "rest", handle: (_q, res) => sendJson(res, 200, { status: "ok" }) },
    { match: (p) => p === "/readyz", protocol: "rest", handle: (_q, res) => ready(res) },
    {
      match: (p) => p === "/openapi.json",
      protocol: "rest",
      handle: (_q, res) => sendJson(res, 200, openApiDocument(config.publicUrl)),
    },
    {
      match: (p) => p === "/invites/accept" || p === "/invites/decline" || JOIN_PATH.test(p),
      protocol: "rest",
      handle: page,
    },
    { match: (p) => p.startsWith("/v1/"), protocol: "rest", handle: rest },
    { match: (p) => p.startsWith(TRPC_PREFIX), protocol: "trpc", handle: trpc },
    {
      match: (p) => p === "/hooks/postmark",
      protocol: "rest",
      handle: (req, res) => handlePostmarkHook(req, res, { runtime, auth: config.postmarkWebhook }),
    },
  ];
  const READ_ONLY = new Set(["/healthz", "/readyz", "/openapi.json"]);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      return sendRest(res, restError(400, "BAD_REQUEST", "route_not_found"));
    }
    const entry = table.find((e) => e.match(url.pathname));
    if (!entry) return sendRest(res, restError(404, "NOT_FOUND", "route_not_found"));
    if (READ_ONLY.has(url.pathname) && !READ_METHODS.has(req.method ?? "")) {
      return sendRest(res, restError(405, "METHOD_NOT_SUPPORTED", "method_not_allowed", undefined, { allow: "GET" }));
    }
    try {
      await entry.handle(req, res, url);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      if (entry.protocol === "trpc") sendTrpcError(res, "PAYLOAD_TOO_LARGE", "payload_too_large");
      else sendRest(res, restError(413, "PAYLOAD_TOO_LARGE", "payload_too_large"));
    }
  };

  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (draining) res.setHeader("connection", "close");
    inFlight.add(res);
    res.on("close", () => inFlight.delete(res));
    handle(req, res).catch((error: unknown) => {
      console.error("[api] request failed:", error);
      if (!res.headersSent) sendRest(res, restError(500, "INTERNAL_SERVER_ERROR", "internal_error"));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === "ECONNRESET") return socket.destroy();
    socket.end(parserErrorResponse(error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await runtime.dispose();
    if (!options.orm) await orm.close();
    throw error;
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<{ forced: boolean }> | undefined;
  const close = () => {
    closing ??= (async () => {
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Connections still busy near the deadline are cut, leaving time to release the database.
      const timeoutMs = config.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
      let forced = false;
      const timer = setTimeout(
        () => {
          forced = true;
          server.closeAllConnections();
        },
        Math.max(timeoutMs - 1_000, timeoutMs / 2),
      );
      await closed;
      clearTimeout(timer);
      const release = (async () => {
        await runtime.dispose();
        await credentials.close();
        if (!options.orm) await orm.close();
      })();
      // Cut requests may still hold database connections (a query waiting on a lock): give them
      // a moment, then leave them; the process exits and PostgreSQL rolls their transactions back.
      if (forced) await Promise.race([release, new Promise((r) => setTimeout(r, Math.min(500, timeoutMs / 4)))]);
      else await release;
      return { forced };
    })();
    return closing;
  };
  return { server, url: `http://127.0.0.1:${port}`, orm, runtime, close };
};

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { initOrm, type Orm } from "@admit/db";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { ApiConfig } from "./config.ts";
import { acceptPage, answerPage } from "./pages/accept.ts";
import { handleRest } from "./rest/handler.ts";
import { openApiDocument } from "./rest/openapi.ts";
import { appRouter } from "./router.ts";
import { type AppRuntime, makeRuntime } from "./runtime.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

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

const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
};

const bearer = (header: string | undefined): string | null => {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1] ?? null;
};

export interface ApiServer {
  readonly server: Server;
  readonly url: string;
  readonly orm: Orm;
  readonly runtime: AppRuntime;
  /** Stops accepting connections, lets requests in flight finish, then releases the database. */
  close(): Promise<void>;
}

export const startApiServer = async (config: ApiConfig, options: { orm?: Orm } = {}): Promise<ApiServer> => {
  const orm = options.orm ?? (await initOrm({ databaseUrl: config.databaseUrl, poolSize: 20 }));
  const runtime = makeRuntime(orm, config);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (url.pathname === "/readyz") {
      // A real round trip: MikroORM connects lazily, so `isConnected()` is false until the first query.
      const ready = await orm.em
        .getConnection()
        .execute("select 1")
        .then(
          () => true,
          () => false,
        );
      return sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "database_unreachable" });
    }
    if (url.pathname === "/openapi.json") return sendJson(res, 200, openApiDocument(config.publicUrl));
    const isRest = url.pathname.startsWith("/v1/");
    const isPage = url.pathname === "/invites/accept" || url.pathname === "/invites/decline";
    if (!isRest && !isPage && !url.pathname.startsWith("/trpc/")) {
      return sendJson(res, 404, { error: { code: "NOT_FOUND", reason: "route_not_found", message: "No such route" } });
    }
    let body: Buffer | undefined;
    if (req.method !== "GET" && req.method !== "HEAD") {
      try {
        body = await readBody(req);
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          return sendJson(res, 413, {
            error: {
              code: "PAYLOAD_TOO_LARGE",
              reason: "payload_too_large",
              message: `Body over ${MAX_BODY_BYTES} bytes`,
            },
          });
        }
        throw error;
      }
    }
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const context = {
      runtime,
      publicUrl: config.publicUrl,
      secret: bearer(req.headers.authorization),
      signal: abort.signal,
    };
    if (isPage) {
      const page =
        req.method === "POST"
          ? await answerPage(
              context,
              url.pathname === "/invites/accept" ? "accept" : "decline",
              new URLSearchParams(body?.toString("utf8") ?? ""),
            )
          : url.pathname === "/invites/accept" && (req.method === "GET" || req.method === "HEAD")
            ? await acceptPage(context, url.searchParams.get("token") ?? "")
            : { status: 405, html: "Method not allowed" };
      res.writeHead(page.status, {
        "content-type": "text/html; charset=utf-8",
        "content-length": Buffer.byteLength(page.html),
        "content-security-policy":
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        "referrer-policy": "no-referrer",
        "cache-control": "no-store",
      });
      return res.end(req.method === "HEAD" ? undefined : page.html);
    }
    if (isRest) {
      const answer = await handleRest(req.method ?? "GET", url, body, req.headers["content-type"], context);
      if (answer.body === undefined) {
        res.writeHead(answer.status, answer.headers ?? {});
        return res.end();
      }
      const payload = JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        ...answer.headers,
        "content-type": "application/json",
        "content-length": Buffer.byteLength(payload),
      });
      return res.end(payload);
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(name, value);
      else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    }
    const request = new Request(url, { method: req.method ?? "GET", headers, body: body?.length ? body : undefined });
    const response = await fetchRequestHandler({
      endpoint: "/trpc",
      req: request,
      router: appRouter,
      createContext: () => context,
      onError: ({ error, path }) => {
        if (error.code === "INTERNAL_SERVER_ERROR") console.error(`[api] ${path ?? "?"} failed:`, error.cause ?? error);
      },
    });
    const payload = Buffer.from(await response.arrayBuffer());
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      out[name] = value;
    });
    out["content-length"] = String(payload.length);
    res.writeHead(response.status, out);
    res.end(payload);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error("[api] request failed:", error);
      if (!res.headersSent)
        sendJson(res, 500, {
          error: { code: "INTERNAL_SERVER_ERROR", reason: "internal_error", message: "Internal server error" },
        });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await runtime.dispose();
      if (!options.orm) await orm.close();
    })();
    return closing;
  };
  return { server, url: `http://127.0.0.1:${port}`, orm, runtime, close };
};

import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly receivedAt: number;
}

export type ReceiverMode = "ok" | "down" | "error";

/**
 * A webhook receiver on 127.0.0.1: records every request. `down` drops connections (as a dead
 * host would), `error` answers 503; `delayMs` makes it slow.
 */
export interface Receiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  mode: ReceiverMode;
  delayMs: number;
  /** When set, successful answers are 200 with this body instead of an empty 204. */
  answerBody: string | null;
  /** Distinct `webhook-id`s received with a 2xx answer, per path. */
  deliveredIds(path?: string): Set<string>;
  close(): Promise<void>;
}

export const startReceiver = async (): Promise<Receiver> => {
  const delivered = new Map<string, Set<string>>();
  const r = {
    received: [] as ReceivedWebhook[],
    mode: "ok" as ReceiverMode,
    delayMs: 0,
    answerBody: null as string | null,
  } as { -readonly [K in keyof Receiver]: Receiver[K] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (r.mode === "down") {
        req.socket.destroy();
        return;
      }
      const path = req.url ?? "/";
      const body = Buffer.concat(chunks).toString("utf8");
      r.received.push({ path, headers: req.headers, body, receivedAt: Date.now() });
      const answer = () => {
        if (r.mode === "error") {
          res.writeHead(503).end("down for maintenance");
          return;
        }
        const id = String(req.headers["webhook-id"]);
        const set = delivered.get(path) ?? new Set<string>();
        set.add(id);
        delivered.set(path, set);
        if (r.answerBody === null) res.writeHead(204).end();
        else res.writeHead(200, { "content-type": "text/plain" }).end(r.answerBody);
      };
      if (r.delayMs > 0) setTimeout(answer, r.delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  r.deliveredIds = (path) =>
    path === undefined ? new Set([...delivered.values()].flatMap((s) => [...s])) : (delivered.get(path) ?? new Set());
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r as Receiver;
};

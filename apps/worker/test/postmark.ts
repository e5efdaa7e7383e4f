import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface PostmarkRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/** What the stand-in answers: a status and body, or `drop` to cut the connection (a network error). */
export type PostmarkAnswer = { readonly status: number; readonly body?: unknown } | "drop";

const accepted = (to: unknown): PostmarkAnswer => ({
  status: 200,
  body: { To: to, SubmittedAt: new Date().toISOString(), MessageID: randomUUID(), ErrorCode: 0, Message: "OK" },
});

export const postmarkError = (status: number, code: number, message: string): PostmarkAnswer => ({
  status,
  body: { ErrorCode: code, Message: message },
});

/**
 * A local HTTP server standing in for Postmark's API (`POST /email`). `answer` decides each reply
 * from the recipient and how many times it was tried; every request is recorded.
 */
export const startPostmarkStandIn = async () => {
  const requests: PostmarkRequest[] = [];
  const tries = new Map<string, number>();
  const state = {
    answer: (_to: string, _try: number): PostmarkAnswer | null => null,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {}
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      const to = String(body.To ?? "").toLowerCase();
      const n = (tries.get(to) ?? 0) + 1;
      tries.set(to, n);
      const answer = state.answer(to, n) ?? accepted(body.To);
      if (answer === "drop") {
        req.socket.destroy();
        return;
      }
      const payload = JSON.stringify(answer.body ?? {});
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    state,
    tries: (to: string) => tries.get(to.toLowerCase()) ?? 0,
    to: (to: string) => requests.filter((r) => String(r.body.To ?? "").toLowerCase() === to.toLowerCase()),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

export type PostmarkStandIn = Awaited<ReturnType<typeof startPostmarkStandIn>>;

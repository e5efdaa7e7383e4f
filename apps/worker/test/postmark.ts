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
 * A local HTTP server standing in for Postmark's API: `POST /email` and `POST /email/batch`.
 * `answer` decides each message's reply from its recipient and how many times it was tried. In a
 * batch, a 422 answer is that message's own error entry; any other failure (a 429, a 5xx, `drop`)
 * is the whole call's answer, as Postmark does. Every message is recorded as a request.
 */
export const startPostmarkStandIn = async () => {
  const requests: PostmarkRequest[] = [];
  const tries = new Map<string, number>();
  const state = {
    answer: (_to: string, _try: number): PostmarkAnswer | null => null,
    /** Batch calls received, and how many messages each carried. */
    batches: [] as number[],
  };
  const answerFor = (message: Record<string, unknown>): PostmarkAnswer => {
    const to = String(message.To ?? "").toLowerCase();
    const n = (tries.get(to) ?? 0) + 1;
    tries.set(to, n);
    return state.answer(to, n) ?? accepted(message.To);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let parsed: unknown = {};
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {}
      const reply = (answer: PostmarkAnswer) => {
        if (answer === "drop") {
          req.socket.destroy();
          return;
        }
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(JSON.stringify(answer.body ?? {}));
      };
      const record = (body: Record<string, unknown>) =>
        requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      if (req.url === "/email/batch" && Array.isArray(parsed)) {
        const messages = parsed as Array<Record<string, unknown>>;
        state.batches.push(messages.length);
        for (const m of messages) record(m);
        const answers = messages.map(answerFor);
        const whole = answers.find((a) => a === "drop" || (a.status !== 200 && a.status !== 422));
        if (whole !== undefined) return reply(whole);
        return reply({
          status: 200,
          body: answers.map((a, i) =>
            a !== "drop" && a.status === 200 ? a.body : { To: messages[i]?.To, ...(a as { body: object }).body },
          ),
        });
      }
      const body = (parsed ?? {}) as Record<string, unknown>;
      record(body);
      reply(answerFor(body));
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

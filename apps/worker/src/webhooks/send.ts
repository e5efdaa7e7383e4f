import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { type AttemptOutcome, checkUrlShape, resolveHost, type WebhookHostRules } from "@admit/db";

/** A receiver gets this long for the whole exchange. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** At most this much of a response is kept (for `webhooks.attempts` and debugging). */
export const MAX_RESPONSE_BYTES = 1024;

/**
 * Resolves the host at connection time and refuses private, loopback and link-local addresses
 * (unless the host is allowed), so a name that resolves elsewhere between the check and the
 * connection (DNS rebinding) is caught where it matters.
 */
const guardedLookup =
  (rules: WebhookHostRules): LookupFunction =>
  (hostname, options, callback) => {
    resolveHost(hostname, rules).then(
      (resolved) => {
        if (!resolved.ok) {
          callback(Object.assign(new Error(resolved.message), { code: "EADDRREFUSED" }), "", 4);
          return;
        }
        if (options.all) {
          (callback as unknown as (e: null, a: ReadonlyArray<{ address: string; family: number }>) => void)(
            null,
            resolved.addresses,
          );
          return;
        }
        const first = resolved.addresses.find((a) => !options.family || a.family === options.family) ??
          resolved.addresses[0] ?? { address: "", family: 4 };
        callback(null, first.address, first.family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, "", 4),
    );
  };

const failure = (error: string, startedAt: number, statusCode: number | null = null): AttemptOutcome => ({
  ok: false,
  statusCode,
  error,
  responseBody: null,
  durationMs: performance.now() - startedAt,
});

/**
 * POSTs one signed webhook. Any 2xx is success. Redirects are not followed (a 3xx is a failure),
 * the whole exchange has `timeoutMs`, and only the first KiB of the answer is read.
 */
export const postWebhook = async (
  url: string,
  body: string,
  headers: Record<string, string>,
  rules: WebhookHostRules,
  timeoutMs = WEBHOOK_TIMEOUT_MS,
): Promise<AttemptOutcome> => {
  const startedAt = performance.now();
  const shape = checkUrlShape(url, rules);
  if (shape !== null) return failure(`url refused: ${shape}`, startedAt);
  const target = new URL(url);
  // A literal address is never looked up, so it is checked here.
  const literal = target.hostname.replace(/^\[|\]$/g, "");
  if (isIP(literal) !== 0) {
    const resolved = await resolveHost(literal, rules);
    if (!resolved.ok) return failure(`url refused: ${resolved.message}`, startedAt);
  }
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const request = (target.protocol === "https:" ? https : http).request(
      target,
      {
        method: "POST",
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "user-agent": "Admit-Webhooks/1",
        },
        lookup: guardedLookup(rules),
        // A fresh connection per attempt: no socket reused after its address was checked.
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const finish = () => {
          const status = response.statusCode ?? 0;
          // PostgreSQL's text holds no NUL: a receiver's NUL is kept as U+FFFD, as bytes that are not UTF-8 are.
          const responseBody = Buffer.concat(chunks).toString("utf8").replaceAll("\u0000", "\uFFFD");
          settle({
            ok: status >= 200 && status < 300,
            statusCode: status,
            error: status >= 200 && status < 300 ? null : `http ${status}`,
            responseBody,
            durationMs: performance.now() - startedAt,
          });
          response.destroy();
        };
        response.on("data", (chunk: Buffer) => {
          if (kept < MAX_RESPONSE_BYTES) {
            const part = chunk.subarray(0, MAX_RESPONSE_BYTES - kept);
            chunks.push(part);
            kept += part.length;
          }
          if (kept >= MAX_RESPONSE_BYTES) finish();
        });
        response.on("end", finish);
        response.on("error", (error) => settle(failure(error.message, startedAt, response.statusCode ?? null)));
      },
    );
    const timer = setTimeout(() => {
      settle(failure(`timeout after ${timeoutMs} ms`, startedAt));
      request.destroy();
    }, timeoutMs);
    request.on("error", (error: NodeJS.ErrnoException) =>
      settle(failure(error.code ? `${error.code}: ${error.message}` : error.message, startedAt)),
    );
    request.end(body);
  });
};

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type DeliveryReport, recordDeliveryReport } from "@admit/domain";
import { Exit } from "effect";
import { EDGE_REASONS, type EdgeReason } from "../errors.ts";
import type { AppRuntime } from "../runtime.ts";
import { isStorableText } from "../schemas.ts";

/** The basic-auth pair Postmark's webhook settings send; null when not configured. */
export interface PostmarkWebhookAuth {
  readonly username: string;
  readonly password: string;
}

/** Postmark sends one small JSON record per call; anything much larger is not one of its reports. */
const MAX_REPORT_BYTES = 256 * 1024;

/** The reasons this route answers with; their codes and sentences are the catalogue's (`EDGE_REASONS`). */
type Reason = Extract<
  EdgeReason,
  "invalid_webhook_credentials" | "invalid_report" | "method_not_allowed" | "payload_too_large" | "internal_error"
>;

/** This route's body limit is smaller than the API's, so its sentence says so. */
const messageOf = (reason: Reason): string =>
  reason === "payload_too_large"
    ? `The body is larger than the ${MAX_REPORT_BYTES / 1024} KiB a report may be.`
    : EDGE_REASONS[reason].message;

const answer = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload)),
  });
  res.end(payload);
};

const refuse = (res: ServerResponse, status: number, reason: Reason, headers?: Record<string, string>) =>
  answer(res, status, { error: { code: EDGE_REASONS[reason].code, reason, message: messageOf(reason) } }, headers);

/** Compares the SHA-256 digests, so the time depends neither on where the strings differ nor on their lengths. */
const same = (given: string, expected: string): boolean =>
  timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(expected).digest());

/** Whether the request carries exactly the configured basic-auth pair. Unconfigured: nothing passes. */
export const authorized = (header: string | undefined, auth: PostmarkWebhookAuth | null): boolean => {
  if (auth === null || header === undefined) return false;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return false;
  const decoded = Buffer.from(match[1] ?? "", "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  const userOk = same(decoded.slice(0, colon), auth.username);
  const passwordOk = same(decoded.slice(colon + 1), auth.password);
  return userOk && passwordOk;
};

/** Trimmed and cut at `max` UTF-16 units, never between the two halves of a pair; null when blank. */
const text = (value: unknown, max: number): string | null => {
  if (typeof value !== "string" || value.trim() === "") return null;
  const cut = value.trim().slice(0, max);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
};

/** The report's time; one that is missing, unreadable or outside the years a report can carry is now. */
const when = (value: unknown): Date => {
  const d = typeof value === "string" ? new Date(value) : new Date(Number.NaN);
  const year = d.getUTCFullYear();
  return Number.isNaN(d.getTime()) || year < 1970 || year > 9999 ? new Date() : d;
};

/** The fields a report is read from: PostgreSQL can store neither a NUL nor a lone surrogate in them. */
const READ_FIELDS = ["RecordType", "MessageID", "Type", "Description", "Details", "DeliveredAt", "BouncedAt"];

// Postmark's hard bounce types: the address will not take mail. `Inactive` says Postmark itself
// deactivated the address, which makes any bounce final.
const PERMANENT_BOUNCE_TYPES = new Set(["HardBounce", "BadEmailAddress", "ManuallyDeactivated", "Blocked"]);

export type ParsedRecord =
  | { readonly report: DeliveryReport }
  | { readonly ignored: string }
  | { readonly invalid: true };

/** Reads one of Postmark's webhook records: Delivery, Bounce and SpamComplaint matter; others are ignored. */
export const parsePostmarkRecord = (body: unknown): ParsedRecord => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { invalid: true };
  const record = body as Record<string, unknown>;
  if (READ_FIELDS.some((field) => typeof record[field] === "string" && !isStorableText(record[field]))) {
    return { invalid: true };
  }
  const type = text(record.RecordType, 50);
  const messageId = text(record.MessageID, 200);
  if (type === null) return { invalid: true };
  switch (type) {
    case "Delivery":
      if (messageId === null) return { invalid: true };
      return { report: { kind: "delivered", messageId, at: when(record.DeliveredAt) } };
    case "Bounce": {
      if (messageId === null) return { invalid: true };
      const bounceType = text(record.Type, 100) ?? "Unknown";
      const description = text(record.Description, 1000) ?? text(record.Details, 1000) ?? "";
      const permanent = record.Inactive === true || PERMANENT_BOUNCE_TYPES.has(bounceType);
      return {
        report: {
          kind: "bounced",
          messageId,
          at: when(record.BouncedAt),
          bounce: { type: bounceType, description, permanent },
        },
      };
    }
    case "SpamComplaint":
      if (messageId === null) return { invalid: true };
      return { report: { kind: "complained", messageId, at: when(record.BouncedAt) } };
    default:
      // Opens, clicks, subscription changes: not delivery states.
      return { ignored: type };
  }
};

const readBody = (req: IncomingMessage): Promise<Buffer | null> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REPORT_BYTES) chunks.push(chunk);
      else if (size > 16 * MAX_REPORT_BYTES) req.destroy();
    });
    req.on("end", () => resolve(size > MAX_REPORT_BYTES ? null : Buffer.concat(chunks)));
    req.on("error", reject);
  });

/**
 * `POST /hooks/postmark`: Postmark's Delivery, Bounce and SpamComplaint webhooks. Credentials are
 * checked before the body is read; a wrong or missing pair (or none configured) is 401 and writes
 * nothing. A report for a message id Admit did not send (another application on the same server,
 * or Postmark's test button) answers 200 and is ignored, so Postmark does not retry it for hours.
 */
export const handlePostmarkHook = async (
  req: IncomingMessage,
  res: ServerResponse,
  deps: { readonly runtime: AppRuntime; readonly auth: PostmarkWebhookAuth | null },
): Promise<void> => {
  if (!authorized(req.headers.authorization, deps.auth)) {
    req.resume();
    return refuse(res, 401, "invalid_webhook_credentials", {
      "www-authenticate": 'Basic realm="admit-hooks", charset="UTF-8"',
    });
  }
  if (req.method !== "POST") {
    req.resume();
    return refuse(res, 405, "method_not_allowed", { allow: "POST" });
  }
  const body = await readBody(req);
  if (body === null) return refuse(res, 413, "payload_too_large");
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    return refuse(res, 400, "invalid_report");
  }
  const parsed = parsePostmarkRecord(json);
  if ("invalid" in parsed) return refuse(res, 400, "invalid_report");
  if ("ignored" in parsed) return answer(res, 200, { status: "ignored", reason: "record_type_not_tracked" });
  const exit = await deps.runtime.runPromiseExit(recordDeliveryReport(parsed.report));
  if (Exit.isFailure(exit)) {
    console.error("[api] postmark report failed:", exit.cause);
    // A 5xx makes Postmark retry later, which is what a database outage needs.
    return refuse(res, 500, "internal_error");
  }
  const outcome = exit.value;
  switch (outcome._tag) {
    case "Unknown":
      return answer(res, 200, { status: "ignored", reason: "unknown_message_id" });
    case "Ignored":
      return answer(res, 200, { status: "ignored", reason: "already_final", deliveryStatus: outcome.status });
    case "Applied":
      return answer(res, 200, { status: "recorded", deliveryStatus: outcome.status });
  }
};

import { notClaimed } from "@admit/db";
import { type DomainError, REASONS, type Reason } from "@admit/domain";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { TRPCError } from "@trpc/server";

/**
 * Every domain error tag and the tRPC code it answers with. Typed over the whole union, so an
 * error added to the domain without a mapping here fails the type check. A RepositoryError whose
 * cause is an unreachable database answers SERVICE_UNAVAILABLE instead (see `toTRPCError`).
 */
export const ERROR_CODES = {
  InvalidInput: "BAD_REQUEST",
  NotFound: "NOT_FOUND",
  Forbidden: "FORBIDDEN",
  AlreadyMember: "CONFLICT",
  Conflict: "CONFLICT",
  Unauthorized: "UNAUTHORIZED",
  TooManyRequests: "TOO_MANY_REQUESTS",
  RepositoryError: "INTERNAL_SERVER_ERROR",
} as const satisfies Record<DomainError["_tag"], TRPC_ERROR_CODE_KEY>;

export type FieldErrors = Readonly<Record<string, ReadonlyArray<string>>>;

/**
 * Reasons the API raises itself, about the request rather than a rule: malformed requests, routes
 * and methods, the database being away. They complete the domain's catalogue (`REASONS`); both
 * protocols use the same names.
 */
export const EDGE_REASONS = {
  invalid_json: { code: "BAD_REQUEST", message: "The body must be valid JSON sent as application/json." },
  malformed_request: { code: "BAD_REQUEST", message: "The request is not valid HTTP." },
  headers_too_large: { code: "BAD_REQUEST", message: "The request's headers are too large." },
  request_timeout: { code: "TIMEOUT", message: "The request did not arrive in time." },
  payload_too_large: { code: "PAYLOAD_TOO_LARGE", message: "The body is larger than the 1 MiB this service accepts." },
  unsupported_media_type: {
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: "The body's content type is not supported; send application/json.",
  },
  route_not_found: { code: "NOT_FOUND", message: "There is no such route or procedure." },
  method_not_allowed: { code: "METHOD_NOT_SUPPORTED", message: "This route does not accept that HTTP method." },
  unauthorized: { code: "UNAUTHORIZED", message: "Authentication is required." },
  /** `POST /hooks/postmark`: no basic-auth pair, or not the configured one. */
  invalid_webhook_credentials: { code: "UNAUTHORIZED", message: "Missing or wrong webhook credentials." },
  /** `POST /hooks/postmark`: the body is not one Postmark webhook record. */
  invalid_report: { code: "BAD_REQUEST", message: "The body is not a Postmark webhook record." },
  forbidden: { code: "FORBIDDEN", message: "Not allowed." },
  too_many_requests: { code: "TOO_MANY_REQUESTS", message: "Too many requests; slow down and retry later." },
  request_aborted: { code: "CLIENT_CLOSED_REQUEST", message: "The request was aborted." },
  database_unavailable: {
    code: "SERVICE_UNAVAILABLE",
    message: "The service cannot reach its database right now; retry shortly.",
  },
  internal_error: { code: "INTERNAL_SERVER_ERROR", message: "Internal server error" },
} as const satisfies Record<string, { code: TRPC_ERROR_CODE_KEY; message: string }>;

export type EdgeReason = keyof typeof EDGE_REASONS;

/** Every reason an answer can carry: the domain's and the edge's. */
export type AnyReason = Reason | EdgeReason;

/** Seconds a client is asked to wait (`Retry-After`) when the database is unreachable. */
export const RETRY_AFTER_SECONDS = 1;

/** Carried as the `cause` of a TRPCError so that the formatter can show it. */
export class ErrorDetails extends Error {
  readonly reason: AnyReason;
  readonly fieldErrors: FieldErrors | undefined;
  /** For `TOO_MANY_REQUESTS`: seconds until a retry can succeed, and the quota that was hit. */
  readonly throttle: Throttle | undefined;
  constructor(reason: AnyReason, fieldErrors?: FieldErrors, throttle?: Throttle) {
    super(reason);
    this.reason = reason;
    this.fieldErrors = fieldErrors;
    this.throttle = throttle;
  }
}

export interface Throttle {
  readonly retryAfter: number;
  readonly limit?: number | undefined;
  readonly windowSeconds?: number | undefined;
}

/**
 * The sentence every reason answers with. Typed over the whole catalogue (`REASONS` in the
 * domain), so a reason added there without a sentence here fails the type check.
 */
export const REASON_MESSAGES = {
  invalid_input: "The input is invalid: fieldErrors names each field and what is wrong with it.",
  already_member: "Already a member of that target",
  organization_not_found: "Organization not found",
  website_not_found: "Website not found",
  group_not_found: "Group not found",
  member_not_found: "Member not found",
  user_not_found: "User not found",
  api_key_not_found: "Api key not found",
  invite_not_found: "Invite not found",
  link_invite_not_found: "Link invite not found",
  webhook_not_found: "Webhook endpoint not found",
  global_key_required: "Global key required",
  api_key_required: "An API key is required",
  user_token_required: "User token required",
  group_requires_global_key: "Groups can only be used with a global API key",
  insufficient_role: "Insufficient role",
  role_above_own: "Role above own",
  inviter_lost_authority: "Inviter lost authority",
  email_domain_not_allowed: "Email domain not allowed",
  link_invite_disabled: "Link invite disabled",
  invite_superseded: "Invite superseded",
  invite_already_accepted: "Invite already accepted",
  invite_declined: "Invite declined",
  invite_revoked: "Invite revoked",
  invite_expired: "Invite expired",
  link_invite_expired: "Link invite expired",
  link_invite_used_up: "Link invite used up",
  missing_credentials: "Missing API key (Authorization: Bearer <secret>)",
  invalid_credentials: "Unknown or revoked secret",
  resend_throttled: "Resend throttled",
  email_quota_exceeded: "The organization has used up its hourly quota of invitation emails",
  idempotency_key_reused: "This Idempotency-Key was used with another request",
  idempotency_request_in_progress: "A request with this Idempotency-Key is still running; retry later",
  webhook_disabled: "The webhook endpoint is disabled: enable it to receive events",
  invalid_idempotency_key: "Invalid Idempotency-Key header",
} as const satisfies Record<Reason, string>;

/**
 * The tRPC code of every reason: the code of the one error that carries it. Built from the
 * catalogue and `ERROR_CODES`, so it covers every reason by construction.
 */
export const REASON_CODES = Object.fromEntries(
  (Object.keys(REASONS) as Array<keyof typeof REASONS>).flatMap((tag) =>
    REASONS[tag].map((reason) => [reason, ERROR_CODES[tag]]),
  ),
) as Record<Reason, TRPC_ERROR_CODE_KEY>;

const isEdgeReason = (reason: string): reason is EdgeReason => Object.hasOwn(EDGE_REASONS, reason);

/**
 * The sentence of a reason. A `message` is written for people and never carries validator
 * output or any part of the request: the details are in `fieldErrors`.
 */
export const messageFor = (reason: AnyReason): string =>
  isEdgeReason(reason) ? EDGE_REASONS[reason].message : REASON_MESSAGES[reason];

const DISCONNECT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections.
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);
const DISCONNECT_MESSAGE =
  /Connection terminated|connection error|timeout exceeded when trying to connect|Client was closed|Connection ended|ECONNREFUSED/i;

/**
 * Whether a failure means the database could not be reached (down, restarting, refusing
 * connections) rather than a fault in a query. Drivers wrap errors several levels deep.
 */
export const isDatabaseUnavailable = (error: unknown, depth = 0): boolean => {
  if (depth > 6 || error === null || typeof error !== "object") return false;
  const e = error as { code?: unknown; sqlState?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === "string" && (DISCONNECT_CODES.has(e.code) || e.code.startsWith("08"))) return true;
  if (typeof e.sqlState === "string" && (DISCONNECT_CODES.has(e.sqlState) || e.sqlState.startsWith("08"))) return true;
  if (typeof e.message === "string" && DISCONNECT_MESSAGE.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
};

/** A TRPCError for a reason the API raises itself, with its catalogued code and message. */
export const edgeError = (reason: EdgeReason, cause?: unknown): TRPCError =>
  new TRPCError({
    code: EDGE_REASONS[reason].code,
    message: EDGE_REASONS[reason].message,
    cause: Object.assign(new ErrorDetails(reason), { internal: cause }),
  });

export const databaseUnavailable = (cause?: unknown): TRPCError => edgeError("database_unavailable", cause);

/** A TRPCError for a reason raised at the edge (outside a use case), with its catalogued message and code. */
export const reasonError = (reason: Reason): TRPCError =>
  new TRPCError({ code: REASON_CODES[reason], message: REASON_MESSAGES[reason], cause: new ErrorDetails(reason) });

export const toTRPCError = (error: DomainError): TRPCError => {
  const code = ERROR_CODES[error._tag];
  switch (error._tag) {
    case "InvalidInput":
      return new TRPCError({
        code,
        message: REASON_MESSAGES.invalid_input,
        cause: new ErrorDetails("invalid_input", error.fieldErrors),
      });
    case "AlreadyMember":
      return reasonError("already_member");
    case "RepositoryError":
      if (isDatabaseUnavailable(error.cause)) return databaseUnavailable(error.cause);
      // A keyed request that lost its key at its first statement: the answer is dropped (see idempotency.ts).
      if (notClaimed(error.cause)) {
        return new TRPCError({ code: "CONFLICT", message: "Idempotency-Key held by another request" });
      }
      return new TRPCError({
        code,
        message: "Internal server error",
        cause: error.cause instanceof Error ? error.cause : undefined,
      });
    case "TooManyRequests":
      return new TRPCError({
        code,
        message: REASON_MESSAGES[error.reason],
        cause: new ErrorDetails(
          error.reason,
          undefined,
          error.retryAfter === undefined
            ? undefined
            : { retryAfter: error.retryAfter, limit: error.limit, windowSeconds: error.windowSeconds },
        ),
      });
    default:
      return new TRPCError({ code, message: REASON_MESSAGES[error.reason], cause: new ErrorDetails(error.reason) });
  }
};

interface Issue {
  readonly path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
  readonly message: string;
  readonly code?: string;
  readonly keys?: ReadonlyArray<string>;
}

/** A field path as the caller wrote it, bounded: an absurd key is named, not echoed whole. */
const fieldName = (path: string) => (path.length > 200 ? `${path.slice(0, 200)}…` : path);

/**
 * Field errors from schema issues, keyed by dotted path (`input` for the whole input). Built in
 * a Map: the keys come from the request, and one named `toString` or `__proto__` is a field
 * like any other, never a property of Object.prototype.
 */
export const issuesToFieldErrors = (issues: ReadonlyArray<Issue>): FieldErrors => {
  const fieldErrors = new Map<string, string[]>();
  const add = (path: string, message: string) => {
    const name = fieldName(path);
    const list = fieldErrors.get(name);
    if (list) list.push(message);
    else fieldErrors.set(name, [message]);
  };
  for (const issue of issues) {
    const path = (issue.path ?? []).map((p) => String(typeof p === "object" ? p.key : p)).join(".");
    if (issue.code === "unrecognized_keys" && issue.keys) {
      for (const key of issue.keys) add(path ? `${path}.${key}` : key, "Unknown field");
    } else {
      add(path || "input", issue.message);
    }
  }
  return Object.fromEntries(fieldErrors);
};

/** The reason of an error no use case raised (a malformed request, an unexpected failure). */
const FALLBACK_REASON: Partial<Record<TRPC_ERROR_CODE_KEY, AnyReason>> = {
  BAD_REQUEST: "invalid_input",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "route_not_found",
  METHOD_NOT_SUPPORTED: "method_not_allowed",
  PARSE_ERROR: "invalid_json",
  PAYLOAD_TOO_LARGE: "payload_too_large",
  UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
  TOO_MANY_REQUESTS: "too_many_requests",
  CLIENT_CLOSED_REQUEST: "request_aborted",
  SERVICE_UNAVAILABLE: "database_unavailable",
  TIMEOUT: "request_timeout",
  INTERNAL_SERVER_ERROR: "internal_error",
};

export interface ErrorData {
  readonly reason: AnyReason;
  readonly fieldErrors?: FieldErrors;
  readonly retryAfter?: number;
}

const isSyntaxError = (cause: unknown, depth = 0): boolean =>
  depth < 4 &&
  cause instanceof Error &&
  (cause instanceof SyntaxError || isSyntaxError((cause as { cause?: unknown }).cause, depth + 1));

/**
 * The `reason` and `fieldErrors` of any error a procedure (or tRPC itself) ends with. Errors
 * tRPC raises before a procedure runs (unparsable JSON, no such procedure, a bad batch) get the
 * same reasons the REST endpoints use; an input error always names at least one field.
 */
export const errorData = (error: TRPCError): ErrorData => {
  const cause = error.cause as unknown;
  if (cause instanceof ErrorDetails) {
    return {
      reason: cause.reason,
      ...(cause.fieldErrors ? { fieldErrors: cause.fieldErrors } : {}),
      ...(cause.throttle ? { retryAfter: cause.throttle.retryAfter } : {}),
    };
  }
  if (cause && typeof cause === "object" && "issues" in cause && Array.isArray(cause.issues)) {
    return { reason: "invalid_input", fieldErrors: issuesToFieldErrors(cause.issues as Issue[]) };
  }
  if (isSyntaxError(cause)) return { reason: "invalid_json" };
  const reason = FALLBACK_REASON[error.code] ?? "internal_error";
  return reason === "invalid_input" ? { reason, fieldErrors: { input: ["Invalid input"] } } : { reason };
};

/** What callers read as `message`: the sentence of the reason, never the error's own text. */
export const publicMessage = (error: TRPCError, data: ErrorData = errorData(error)): string =>
  error.code === "INTERNAL_SERVER_ERROR" ? "Internal server error" : messageFor(data.reason);

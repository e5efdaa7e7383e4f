import { type DomainError, REASONS, type Reason } from "@admit/domain";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { TRPCError } from "@trpc/server";

/**
 * Every domain error tag and the tRPC code it answers with. Typed over the whole union, so an
 * error added to the domain without a mapping here fails the type check.
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

/** Carried as the `cause` of a TRPCError so that the formatter can show it. */
export class ErrorDetails extends Error {
  readonly reason: Reason;
  readonly fieldErrors: FieldErrors | undefined;
  constructor(reason: Reason, fieldErrors?: FieldErrors) {
    super(reason);
    this.reason = reason;
    this.fieldErrors = fieldErrors;
  }
}

/**
 * The sentence every reason answers with. Typed over the whole catalogue (`REASONS` in the
 * domain), so a reason added there without a sentence here fails the type check.
 */
export const REASON_MESSAGES = {
  invalid_input: "Invalid input",
  already_member: "Already a member of that target",
  organization_not_found: "Organization not found",
  website_not_found: "Website not found",
  group_not_found: "Group not found",
  member_not_found: "Member not found",
  user_not_found: "User not found",
  api_key_not_found: "Api key not found",
  invite_not_found: "Invite not found",
  link_invite_not_found: "Link invite not found",
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

/** A TRPCError for a reason raised at the edge (outside a use case), with its catalogued message and code. */
export const reasonError = (reason: Reason): TRPCError =>
  new TRPCError({ code: REASON_CODES[reason], message: REASON_MESSAGES[reason], cause: new ErrorDetails(reason) });

export const toTRPCError = (error: DomainError): TRPCError => {
  const code = ERROR_CODES[error._tag];
  switch (error._tag) {
    case "InvalidInput":
      return new TRPCError({
        code,
        message: error.message,
        cause: new ErrorDetails("invalid_input", error.fieldErrors),
      });
    case "AlreadyMember":
      return reasonError("already_member");
    case "RepositoryError":
      return new TRPCError({
        code,
        message: "Internal server error",
        cause: error.cause instanceof Error ? error.cause : undefined,
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

/** Field errors from schema issues, keyed by dotted path (`input` for the whole input). */
export const issuesToFieldErrors = (issues: ReadonlyArray<Issue>): FieldErrors => {
  const fieldErrors: Record<string, string[]> = {};
  const add = (path: string, message: string) => {
    const list = fieldErrors[path] ?? [];
    list.push(message);
    fieldErrors[path] = list;
  };
  for (const issue of issues) {
    const path = (issue.path ?? []).map((p) => String(typeof p === "object" ? p.key : p)).join(".");
    if (issue.code === "unrecognized_keys" && issue.keys) {
      for (const key of issue.keys) add(path ? `${path}.${key}` : key, "Unknown field");
    } else {
      add(path || "input", issue.message);
    }
  }
  return fieldErrors;
};

/** The reason of an error no use case raised (a malformed request, an unexpected failure). */
const FALLBACK_REASON: Partial<Record<TRPC_ERROR_CODE_KEY, string>> = {
  BAD_REQUEST: "invalid_input",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not_found",
  METHOD_NOT_SUPPORTED: "method_not_supported",
  PARSE_ERROR: "invalid_json",
  PAYLOAD_TOO_LARGE: "payload_too_large",
  TOO_MANY_REQUESTS: "too_many_requests",
  INTERNAL_SERVER_ERROR: "internal_error",
};

/** The `reason` and `fieldErrors` of any error a procedure ends with. */
export const errorData = (error: TRPCError): { reason: string; fieldErrors?: FieldErrors } => {
  const cause = error.cause as unknown;
  if (cause instanceof ErrorDetails) {
    return cause.fieldErrors ? { reason: cause.reason, fieldErrors: cause.fieldErrors } : { reason: cause.reason };
  }
  if (cause && typeof cause === "object" && "issues" in cause && Array.isArray(cause.issues)) {
    return { reason: "invalid_input", fieldErrors: issuesToFieldErrors(cause.issues as Issue[]) };
  }
  return { reason: FALLBACK_REASON[error.code] ?? error.code.toLowerCase() };
};

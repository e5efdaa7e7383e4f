import { getTRPCErrorFromUnknown } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import {
  type AnyReason,
  ErrorDetails,
  errorData,
  type FieldErrors,
  messageFor,
  publicMessage,
  RETRY_AFTER_SECONDS,
  type Throttle,
} from "../errors.ts";
import { appRouter } from "../router.ts";
import type { Context } from "../trpc.ts";
import { decodeParams, matchPath, RestFieldError, type Route, routes } from "./routes.ts";

export interface RestResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/**
 * The one REST error shape: `{ error: { code, reason, message, fieldErrors? } }`, `message`
 * being the reason's sentence.
 */
export const restError = (
  status: number,
  code: string,
  reason: AnyReason,
  fieldErrors?: FieldErrors,
  headers?: Record<string, string>,
): RestResponse => ({
  status,
  ...(headers ? { headers } : {}),
  body: { error: { code, reason, message: messageFor(reason), ...(fieldErrors ? { fieldErrors } : {}) } },
});

const error = restError;
/**
 * A throttled answer says when to retry (`Retry-After`) and, for a quota, the IETF RateLimit
 * header fields (draft-ietf-httpapi-ratelimit-headers): the policy and what is left of it.
 */
const policyName = (reason: string) => (reason === "email_quota_exceeded" ? "email_invites" : reason);

const throttleHeaders = (reason: string, throttle: Throttle): Record<string, string> => ({
  "retry-after": String(throttle.retryAfter),
  ...(throttle.limit !== undefined && throttle.windowSeconds !== undefined
    ? {
        "ratelimit-policy": `"${policyName(reason)}";q=${throttle.limit};w=${throttle.windowSeconds}`,
        ratelimit: `"${policyName(reason)}";r=0;t=${throttle.retryAfter}`,
      }
    : {}),
});

/** Field errors come back under this endpoint's own field names. */
const renameFieldErrors = (fieldErrors: FieldErrors, route: Route): FieldErrors => {
  const back = new Map(Object.entries(route.fields ?? {}).map(([rest, proc]) => [proc, rest]));
  back.set("cursor", "page");
  return Object.fromEntries(
    Object.entries(fieldErrors).map(([path, messages]) => {
      const [head, ...tail] = path.split(".");
      return [[back.get(head as string) ?? head, ...tail].join("."), messages];
    }),
  );
};

/**
 * REST endpoints mirroring the seed documents. Each one calls its tRPC procedure through a
 * server-side caller, so authentication, validation and every rule are the procedure's own.
 */
export const handleRest = async (
  method: string,
  url: URL,
  rawBody: Buffer | undefined,
  contentType: string | undefined,
  ctx: Context,
): Promise<RestResponse> => {
  const matches = routes.flatMap((route) => {
    const params = matchPath(route.path, url.pathname);
    return params ? [{ route, params }] : [];
  });
  if (matches.length === 0) return error(404, "NOT_FOUND", "route_not_found");
  const match = matches.find((m) => m.route.method === method);
  if (!match) {
    const allow = matches.map((m) => m.route.method).join(", ");
    return error(405, "METHOD_NOT_SUPPORTED", "method_not_allowed", undefined, { allow });
  }
  const { route } = match;

  let body: Record<string, unknown> = {};
  if (rawBody !== undefined && rawBody.length > 0) {
    if (!/^application\/(.+\+)?json\b/i.test(contentType ?? "")) return error(400, "BAD_REQUEST", "invalid_json");
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody.toString("utf8"));
    } catch {
      return error(400, "BAD_REQUEST", "invalid_json");
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      return error(400, "BAD_REQUEST", "invalid_input", { body: ["Must be a JSON object"] });
    }
    body = parsed as Record<string, unknown>;
  }

  try {
    const params = decodeParams(match.params);
    const input = route.input({ params, query: url.searchParams, body });
    const result = await route.call(appRouter.createCaller(ctx), input);
    const status = route.status ?? 200;
    return status === 204 ? { status } : { status, body: route.output ? route.output(result) : result };
  } catch (cause) {
    if (cause instanceof RestFieldError) {
      return error(400, "BAD_REQUEST", "invalid_input", { [cause.field]: [cause.message] });
    }
    const trpcError = getTRPCErrorFromUnknown(cause);
    const data = errorData(trpcError);
    if (trpcError.code === "INTERNAL_SERVER_ERROR") {
      console.error(`[api] ${method} ${url.pathname} failed:`, trpcError.cause ?? trpcError);
    }
    const status = getHTTPStatusCodeFromError(trpcError);
    const throttle = trpcError.cause instanceof ErrorDetails ? trpcError.cause.throttle : undefined;
    return {
      status,
      ...(status === 503 ? { headers: { "retry-after": String(RETRY_AFTER_SECONDS) } } : {}),
      ...(throttle ? { headers: throttleHeaders(data.reason, throttle) } : {}),
      body: {
        error: {
          code: trpcError.code,
          reason: data.reason,
          message: publicMessage(trpcError, data),
          ...(data.fieldErrors ? { fieldErrors: renameFieldErrors(data.fieldErrors, route) } : {}),
          ...(throttle ? { retryAfter: throttle.retryAfter } : {}),
        },
      },
    };
  }
};

import { getTRPCErrorFromUnknown } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { errorData } from "../errors.ts";
import { appRouter } from "../router.ts";
import type { Context } from "../trpc.ts";
import { matchPath, RestFieldError, type Route, routes } from "./routes.ts";

export interface RestResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

const error = (status: number, code: string, reason: string, message: string, fieldErrors?: unknown): RestResponse => ({
  status,
  body: { error: { code, reason, message, ...(fieldErrors ? { fieldErrors } : {}) } },
});

/** Field errors come back under this endpoint's own field names. */
const renameFieldErrors = (fieldErrors: Readonly<Record<string, ReadonlyArray<string>>>, route: Route) => {
  const back = Object.fromEntries(Object.entries(route.fields ?? {}).map(([rest, proc]) => [proc, rest]));
  back.cursor = "page";
  return Object.fromEntries(
    Object.entries(fieldErrors).map(([path, messages]) => {
      const [head, ...tail] = path.split(".");
      return [[back[head as string] ?? head, ...tail].join("."), messages];
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
  if (matches.length === 0) return error(404, "NOT_FOUND", "route_not_found", "No such route");
  const match = matches.find((m) => m.route.method === method);
  if (!match) {
    return {
      ...error(
        405,
        "METHOD_NOT_SUPPORTED",
        "method_not_allowed",
        `Use ${matches.map((m) => m.route.method).join(", ")}`,
      ),
      headers: { allow: matches.map((m) => m.route.method).join(", ") },
    };
  }
  const { route, params } = match;

  let body: Record<string, unknown> = {};
  if (rawBody !== undefined && rawBody.length > 0) {
    if (!/^application\/(.+\+)?json\b/i.test(contentType ?? "")) {
      return error(400, "BAD_REQUEST", "invalid_json", "The body must be JSON (content-type: application/json)");
    }
    try {
      body = JSON.parse(rawBody.toString("utf8"));
    } catch {
      return error(400, "BAD_REQUEST", "invalid_json", "The body is not valid JSON");
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return error(400, "BAD_REQUEST", "invalid_input", "The body must be a JSON object");
    }
  }

  try {
    const input = route.input({ params, query: url.searchParams, body });
    const result = await route.call(appRouter.createCaller(ctx), input);
    const status = route.status ?? 200;
    return status === 204 ? { status } : { status, body: route.output ? route.output(result) : result };
  } catch (cause) {
    if (cause instanceof RestFieldError) {
      return error(400, "BAD_REQUEST", "invalid_input", "Invalid input", { [cause.field]: [cause.message] });
    }
    const trpcError = getTRPCErrorFromUnknown(cause);
    const data = errorData(trpcError);
    const internal = trpcError.code === "INTERNAL_SERVER_ERROR";
    if (internal) console.error(`[api] ${method} ${url.pathname} failed:`, trpcError.cause ?? trpcError);
    return error(
      getHTTPStatusCodeFromError(trpcError),
      trpcError.code,
      data.reason,
      internal ? "Internal server error" : trpcError.message,
      data.fieldErrors ? renameFieldErrors(data.fieldErrors, route) : undefined,
    );
  }
};

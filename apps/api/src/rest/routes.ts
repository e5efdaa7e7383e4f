import type { appRouter } from "../router.ts";

type Caller = ReturnType<typeof appRouter.createCaller>;
type Json = Record<string, unknown>;

export interface RestRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: Json;
}

export interface Route {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  /** `{name}` segments are path parameters. */
  readonly path: string;
  /** The tRPC procedure it serves: every rule lives there, none here. */
  readonly procedure: string;
  readonly summary: string;
  /** Renames between this endpoint's field names and the procedure's (REST name → procedure name). */
  readonly fields?: Readonly<Record<string, string>>;
  /** Path and query parameters that go into the procedure's input (filled in by the route). */
  readonly fromPath?: ReadonlyArray<string>;
  readonly status?: number;
  readonly input: (req: RestRequest) => Json;
  readonly call: (caller: Caller, input: any) => Promise<unknown>;
  readonly output?: (result: any) => unknown;
}

/** AthenaHQ's snake_case names for invites. */
export const ATHENA_FIELDS = {
  invite_method: "method",
  organization_id: "organizationId",
  website_id: "websiteId",
  group_id: "groupId",
  website_ids: "websiteIds",
  group_ids: "groupIds",
  first_name: "firstName",
  last_name: "lastName",
} as const;

/** AthenaHQ roles: `admin`, and `viewer` meaning `read`. */
export const ATHENA_ROLES: Readonly<Record<string, string>> = { admin: "admin", viewer: "read" };

export class RestFieldError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** Own entries only: a body key named `toString` or `__proto__` is an unknown field, not a lookup hit. */
const own = (table: Readonly<Record<string, string>>, key: string): string | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;

export const rename = (body: Json, fields: Readonly<Record<string, string>>): Json =>
  Object.fromEntries(Object.entries(body).map(([k, v]) => [own(fields, k) ?? k, v]));

const PROCEDURE_NAMES = new Set<string>(Object.values(ATHENA_FIELDS));

const athenaInput = (req: RestRequest): Json => {
  // This contract speaks snake_case only: the procedure's own names are unknown fields here.
  const foreign = Object.keys(req.body).find((k) => PROCEDURE_NAMES.has(k));
  if (foreign !== undefined) throw new RestFieldError(foreign, "Unknown field");
  const { role, ...rest } = req.body;
  const mapped = typeof role === "string" ? own(ATHENA_ROLES, role) : undefined;
  if (role !== undefined && mapped === undefined) throw new RestFieldError("role", "Must be admin or viewer");
  return rename({ ...rest, ...(mapped === undefined ? {} : { role: mapped }) }, ATHENA_FIELDS);
};

const athenaResult = (r: Json) => ({
  success: r.success,
  message: r.message,
  ...(r.inviteId === undefined ? {} : { invite_id: r.inviteId }),
  ...(r.userId === undefined ? {} : { user_id: r.userId }),
});

/** GitBook paging: `page` (an opaque token from the previous answer) and `limit` (at most 1000). */
const paging = (query: URLSearchParams): Json => {
  const limit = query.get("limit");
  return {
    ...(query.get("page") ? { cursor: query.get("page") } : {}),
    ...(limit === null ? {} : { limit: /^\d+$/.test(limit) ? Number(limit) : limit }),
  };
};

export const routes: ReadonlyArray<Route> = [
  {
    method: "POST",
    path: "/v1/invites",
    procedure: "invites.create",
    summary: "Invite one email to an organization, a website or a group (snake_case fields; roles admin and viewer)",
    fields: ATHENA_FIELDS,
    input: athenaInput,
    call: (c, input) => c.invites.create(input),
    output: athenaResult,
  },
  {
    method: "POST",
    path: "/v1/invites/bulk",
    procedure: "invites.createBulk",
    summary: "Invite one email to 1–50 websites or groups, each with its own result (snake_case fields)",
    fields: ATHENA_FIELDS,
    input: athenaInput,
    call: (c, input) => c.invites.createBulk(input),
    output: (r: Json & { results: Json[] }) => ({
      success: r.success,
      message: r.message,
      ...(r.userId === undefined ? {} : { user_id: r.userId }),
      results: r.results.map(({ inviteId, ...rest }) => ({
        ...rest,
        ...(inviteId === undefined ? {} : { invite_id: inviteId }),
      })),
    }),
  },
  {
    method: "POST",
    path: "/v1/orgs/{organizationId}/invites",
    procedure: "organizations.inviteUsers",
    summary: "Add emails to an organization directly",
    fromPath: ["organizationId"],
    input: (r) => ({ ...r.body, organizationId: r.params.organizationId }),
    call: (c, input) => c.organizations.inviteUsers(input),
  },
  {
    method: "POST",
    path: "/v1/orgs/{organizationId}/invites/{inviteId}",
    procedure: "linkInvites.join",
    summary: "Join an organization with an invite link (user token; inviteId is the code of the link)",
    fromPath: ["organizationId", "inviteId"],
    input: (r) => ({ ...r.body, organizationId: r.params.organizationId, inviteId: r.params.inviteId }),
    call: (c, input) => c.linkInvites.join(input),
  },
  {
    method: "GET",
    path: "/v1/orgs/{organizationId}/link-invites",
    procedure: "linkInvites.list",
    summary: "List an organization's invite links, newest first",
    fromPath: ["organizationId", "cursor", "limit"],
    input: (r) => ({ organizationId: r.params.organizationId, ...paging(r.query) }),
    call: (c, input) => c.linkInvites.list(input),
    output: (r: { items: unknown[]; nextCursor: string | null }) => ({
      items: r.items,
      ...(r.nextCursor ? { next: { page: r.nextCursor } } : {}),
    }),
  },
  {
    method: "POST",
    path: "/v1/orgs/{organizationId}/link-invites",
    procedure: "linkInvites.create",
    summary: "Create an invite link (its url, with the join code, is shown only here)",
    fromPath: ["organizationId"],
    status: 201,
    input: (r) => ({ ...r.body, organizationId: r.params.organizationId }),
    call: (c, input) => c.linkInvites.create(input),
  },
  {
    method: "GET",
    path: "/v1/orgs/{organizationId}/link-invites/{inviteId}",
    procedure: "linkInvites.get",
    summary: "Read an invite link",
    fromPath: ["organizationId", "inviteId"],
    input: (r) => ({ organizationId: r.params.organizationId, inviteId: r.params.inviteId }),
    call: (c, input) => c.linkInvites.get(input),
  },
  {
    method: "PATCH",
    path: "/v1/orgs/{organizationId}/link-invites/{inviteId}",
    procedure: "linkInvites.update",
    summary: "Change an invite link's role, expiry, use limit or disabled flag",
    fromPath: ["organizationId", "inviteId"],
    input: (r) => ({ ...r.body, organizationId: r.params.organizationId, inviteId: r.params.inviteId }),
    call: (c, input) => c.linkInvites.update(input),
  },
  {
    method: "DELETE",
    path: "/v1/orgs/{organizationId}/link-invites/{inviteId}",
    procedure: "linkInvites.revoke",
    summary: "Revoke an invite link",
    fromPath: ["organizationId", "inviteId"],
    status: 204,
    input: (r) => ({ organizationId: r.params.organizationId, inviteId: r.params.inviteId }),
    call: (c, input) => c.linkInvites.revoke(input),
  },
];

/**
 * Matches a concrete path against a route path; answers the path parameters, still
 * percent-encoded (`decodeParams` decodes them once the route is chosen).
 */
export const matchPath = (pattern: string, path: string): Record<string, string> | null => {
  const want = pattern.split("/");
  const got = path.replace(/\/$/, "").split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = Object.create(null);
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith("{")) {
      if (g === "") return null;
      params[w.slice(1, -1)] = g;
    } else if (w !== g) return null;
  }
  return params;
};

/** Decodes path parameters; a malformed percent-escape is an error on that parameter. */
export const decodeParams = (params: Readonly<Record<string, string>>): Record<string, string> => {
  const decoded: Record<string, string> = Object.create(null);
  for (const [name, raw] of Object.entries(params)) {
    try {
      decoded[name] = decodeURIComponent(raw);
    } catch {
      throw new RestFieldError(name, "Not a valid percent-encoded value");
    }
  }
  return decoded;
};

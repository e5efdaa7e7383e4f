import { z } from "zod";
import { messageFor } from "../errors.ts";
import { appRouter } from "../router.ts";
import { ATHENA_FIELDS, ATHENA_ROLES, routes } from "./routes.ts";

type Schema = Record<string, any>;

/** The zod input schema of a procedure, exactly as the procedure validates it. */
const inputSchema = (procedure: string): z.ZodType => {
  const def = (appRouter._def.procedures as Record<string, any>)[procedure]?._def;
  const schema = def?.inputs?.[0];
  if (!schema) throw new Error(`procedure ${procedure} has no input schema`);
  return schema as z.ZodType;
};

const jsonSchemaOf = (procedure: string): Schema =>
  z.toJSONSchema(inputSchema(procedure), { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as Schema;

/** The body schema of a route: the procedure's input, renamed to the route's field names, less path parameters. */
const bodySchema = (route: (typeof routes)[number]): Schema | null => {
  if (route.method === "GET" || route.method === "DELETE") return null;
  const schema = jsonSchemaOf(route.procedure);
  const { $schema: _ignored, required: all, ...rest } = schema;
  const back = Object.fromEntries(Object.entries(route.fields ?? {}).map(([r, p]) => [p, r]));
  const properties: Schema = {};
  for (const [name, prop] of Object.entries(rest.properties ?? {})) {
    if (route.fromPath?.includes(name)) continue;
    properties[back[name] ?? name] =
      name === "role" && route.fields === ATHENA_FIELDS ? { type: "string", enum: Object.keys(ATHENA_ROLES) } : prop;
  }
  const required = (all ?? []).filter((n: string) => !route.fromPath?.includes(n)).map((n: string) => back[n] ?? n);
  return { ...rest, properties, ...(required.length ? { required } : {}) };
};

const errorResponse = {
  description: "Error: HTTP status, tRPC code, a stable reason and, for invalid input, the fields at fault",
  content: {
    "application/json": {
      schema: { $ref: "#/components/schemas/Error" },
      example: {
        error: {
          code: "BAD_REQUEST",
          reason: "invalid_input",
          message: messageFor("invalid_input"),
          fieldErrors: { email: ["Invalid email address"] },
        },
      },
    },
  },
};

/** The database is away (any endpoint, any time): retry after `Retry-After` seconds. */
const unavailableResponse = {
  description: "The database is unreachable for now: retry after Retry-After seconds",
  headers: { "Retry-After": { schema: { type: "integer", minimum: 0 }, description: "Seconds to wait" } },
  content: {
    "application/json": {
      schema: { $ref: "#/components/schemas/Error" },
      example: {
        error: {
          code: "SERVICE_UNAVAILABLE",
          reason: "database_unavailable",
          message: messageFor("database_unavailable"),
        },
      },
    },
  },
};

// The answers of the REST endpoints. Procedures have no output schemas (their answers are typed in
// TypeScript, see docs/reference.md), so these are written here; test/openapi.test.ts validates
// real answers against them, so that they cannot drift.
const uuid = { type: "string", format: "uuid" };
const timestamp = { type: "string", format: "date-time" };
const ROLE_NAMES = ["admin", "create", "edit", "review", "comment", "read"];
const EXAMPLE_ID = "0b7e4a52-93c1-4f4e-9d57-2f1c3c9d8e10";
const EXAMPLE_ORG = "5d1f6c1a-3e0b-4b8e-8a57-6f4b9b2e7a01";

const RESPONSE_SCHEMAS: Schema = {
  InviteResult: {
    type: "object",
    required: ["success", "message"],
    properties: {
      success: { type: "boolean", const: true },
      message: { type: "string" },
      invite_id: { ...uuid, description: "For an email invite" },
      user_id: { ...uuid, description: "For a direct invite: the member added" },
    },
  },
  BulkInviteResult: {
    type: "object",
    required: ["success", "message", "results"],
    properties: {
      success: { type: "boolean", const: true },
      message: { type: "string" },
      user_id: { ...uuid, description: "For a direct invite" },
      results: {
        type: "array",
        description: "One per target, in the order given",
        items: {
          type: "object",
          required: ["target", "status"],
          properties: {
            target: {
              type: "object",
              required: ["type", "id"],
              properties: { type: { type: "string", enum: ["website", "group"] }, id: uuid },
            },
            status: {
              type: "string",
              enum: ["added", "invited", "already_member", "not_found", "forbidden", "failed"],
            },
            invite_id: uuid,
            reason: { type: "string", description: "Why this target was not invited" },
          },
        },
      },
    },
  },
  InviteUsersResult: {
    type: "object",
    required: ["users", "invited"],
    properties: {
      users: { type: "array", items: uuid, description: "The user ids, one per email, in the order given" },
      invited: { type: "integer", minimum: 0, description: "How many became members (the others already were)" },
      failedSSOEmails: { type: "array", items: { type: "string" } },
    },
  },
  JoinResult: {
    type: "object",
    required: ["organizationId", "userId", "role", "sso"],
    properties: {
      organizationId: uuid,
      userId: uuid,
      role: { type: "string", enum: ROLE_NAMES },
      sso: { type: "boolean" },
    },
  },
  LinkInvite: {
    type: "object",
    required: [
      "id",
      "organizationId",
      "role",
      "sso",
      "expiresAt",
      "maxUses",
      "uses",
      "allowedEmailDomains",
      "disabled",
      "createdBy",
      "createdAt",
      "url",
    ],
    properties: {
      id: uuid,
      organizationId: uuid,
      role: { type: "string", enum: ROLE_NAMES },
      sso: { type: "boolean" },
      expiresAt: { anyOf: [timestamp, { type: "null" }] },
      maxUses: { anyOf: [{ type: "integer", minimum: 1 }, { type: "null" }] },
      uses: { type: "integer", minimum: 0 },
      allowedEmailDomains: { type: "array", items: { type: "string" } },
      disabled: { type: "boolean" },
      createdBy: {
        type: "object",
        required: ["kind", "id", "name"],
        properties: {
          kind: { type: "string", enum: ["root", "api_key", "user"] },
          id: { anyOf: [uuid, { type: "null" }] },
          name: { type: "string" },
        },
      },
      createdAt: timestamp,
      url: {
        anyOf: [{ type: "string", format: "uri" }, { type: "null" }],
        description: "The link to share, with its join code: only in the answer to its creation",
      },
    },
  },
  LinkInviteList: {
    type: "object",
    required: ["items"],
    properties: {
      items: { type: "array", items: { $ref: "#/components/schemas/LinkInvite" } },
      next: {
        type: "object",
        required: ["page"],
        properties: { page: { type: "string", description: "Pass as `page` for the next page" } },
        description: "Absent on the last page",
      },
    },
  },
};

const RESPONSE_SCHEMA_OF: Record<string, string> = {
  "invites.create": "InviteResult",
  "invites.createBulk": "BulkInviteResult",
  "organizations.inviteUsers": "InviteUsersResult",
  "linkInvites.join": "JoinResult",
  "linkInvites.list": "LinkInviteList",
  "linkInvites.create": "LinkInvite",
  "linkInvites.get": "LinkInvite",
  "linkInvites.update": "LinkInvite",
};

const responseSchemaOf = (procedure: string): string => {
  const name = RESPONSE_SCHEMA_OF[procedure];
  if (!name) throw new Error(`no response schema for ${procedure}`);
  return name;
};

const linkInviteExample = {
  id: EXAMPLE_ID,
  organizationId: EXAMPLE_ORG,
  role: "read",
  sso: false,
  expiresAt: "2030-01-31T12:00:00.000Z",
  maxUses: 25,
  uses: 3,
  allowedEmailDomains: ["example.com"],
  disabled: false,
  createdBy: { kind: "api_key", id: "9a0c2a8e-6c55-4b51-b0a3-0f0b1c7f4e22", name: "Back office" },
  createdAt: "2030-01-01T12:00:00.000Z",
  url: null,
};

const RESPONSE_EXAMPLES: Schema = {
  InviteResult: { success: true, message: "Invitation sent", invite_id: EXAMPLE_ID },
  BulkInviteResult: {
    success: true,
    message: "Bulk invite processed",
    results: [
      { target: { type: "website", id: EXAMPLE_ID }, status: "invited", invite_id: EXAMPLE_ORG },
      {
        target: { type: "website", id: "3c2d1e0f-7a6b-4c5d-9e8f-1a2b3c4d5e6f" },
        status: "not_found",
        reason: "website_not_found",
      },
    ],
  },
  InviteUsersResult: { users: [EXAMPLE_ID], invited: 1 },
  JoinResult: { organizationId: EXAMPLE_ORG, userId: EXAMPLE_ID, role: "read", sso: false },
  LinkInvite: linkInviteExample,
  LinkInviteList: { items: [linkInviteExample], next: { page: "eyJrIjoiMjAzMC0wMS0wMSJ9" } },
};

const REQUEST_EXAMPLES: Schema = {
  "invites.create": {
    email: "ann@example.com",
    invite_method: "email",
    type: "website",
    website_id: EXAMPLE_ID,
    role: "viewer",
    first_name: "Ann",
  },
  "invites.createBulk": {
    email: "ann@example.com",
    invite_method: "direct",
    website_ids: [EXAMPLE_ID],
    role: "admin",
  },
  "organizations.inviteUsers": { emails: ["ann@example.com", "bob@example.com"], role: "read" },
  "linkInvites.create": {
    role: "read",
    expiresAt: "2030-01-31T12:00:00Z",
    maxUses: 25,
    allowedEmailDomains: ["example.com"],
  },
  "linkInvites.update": { disabled: true },
};

/** OpenAPI 3.1 for the REST endpoints, generated from the procedures' input schemas. */
export const openApiDocument = (serverUrl: string) => {
  const paths: Schema = {};
  for (const route of routes) {
    const body = bodySchema(route);
    const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const query =
      route.procedure === "linkInvites.list"
        ? [
            {
              name: "page",
              in: "query",
              required: false,
              schema: { type: "string" },
              description: "next.page of the previous answer",
            },
            {
              name: "limit",
              in: "query",
              required: false,
              schema: { type: "integer", minimum: 1, maximum: 1000, default: 50 },
            },
          ]
        : [];
    const status = String(route.status ?? 200);
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = {
      operationId: route.procedure,
      summary: route.summary,
      security: [{ bearer: [] }],
      parameters: [...pathParams, ...query],
      ...(body && Object.keys(body.properties).length > 0
        ? {
            requestBody: {
              required: true,
              content: {
                "application/json": {
                  schema: body,
                  ...(REQUEST_EXAMPLES[route.procedure] ? { example: REQUEST_EXAMPLES[route.procedure] } : {}),
                },
              },
            },
          }
        : {}),
      responses: {
        [status]:
          status === "204"
            ? { description: "Done" }
            : {
                description: "Success",
                content: {
                  "application/json": {
                    schema: { $ref: `#/components/schemas/${responseSchemaOf(route.procedure)}` },
                    example: RESPONSE_EXAMPLES[responseSchemaOf(route.procedure)],
                  },
                },
              },
        "400": errorResponse,
        "401": errorResponse,
        "403": errorResponse,
        "404": errorResponse,
        "409": errorResponse,
        "413": errorResponse,
        "429": errorResponse,
        "500": errorResponse,
        "503": unavailableResponse,
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Admit",
      version: "1.0.0",
      description: "Invitations and memberships. Same operations as the tRPC API at /trpc.",
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "API key, root key or user token" } },
      schemas: {
        ...RESPONSE_SCHEMAS,
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "reason", "message"],
              properties: {
                code: { type: "string" },
                reason: { type: "string" },
                message: { type: "string" },
                fieldErrors: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } },
                retryAfter: {
                  type: "integer",
                  minimum: 0,
                  description: "Throttled (429): seconds until a retry can pass",
                },
              },
            },
          },
        },
      },
    },
  };
};

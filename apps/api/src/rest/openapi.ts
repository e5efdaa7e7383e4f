import { z } from "zod";
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
  const { $schema: _ignored, ...rest } = schema;
  const back = Object.fromEntries(Object.entries(route.fields ?? {}).map(([r, p]) => [p, r]));
  const properties: Schema = {};
  for (const [name, prop] of Object.entries(rest.properties ?? {})) {
    if (route.fromPath?.includes(name)) continue;
    properties[back[name] ?? name] =
      name === "role" && route.fields === ATHENA_FIELDS ? { type: "string", enum: Object.keys(ATHENA_ROLES) } : prop;
  }
  const required = (rest.required ?? [])
    .filter((n: string) => !route.fromPath?.includes(n))
    .map((n: string) => back[n] ?? n);
  return { ...rest, properties, ...(required.length ? { required } : {}) };
};

const errorResponse = {
  description: "Error: HTTP status, tRPC code, a stable reason and, for invalid input, the fields at fault",
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
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
      ...(body ? { requestBody: { required: true, content: { "application/json": { schema: body } } } } : {}),
      responses: {
        [status]:
          status === "204"
            ? { description: "Done" }
            : { description: "Success", content: { "application/json": { schema: { type: "object" } } } },
        "400": errorResponse,
        "401": errorResponse,
        "403": errorResponse,
        "404": errorResponse,
        "409": errorResponse,
        "429": errorResponse,
        "500": errorResponse,
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
              },
            },
          },
        },
      },
    },
  };
};

import { randomUUID } from "node:crypto";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import formats from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import { makeTenant, rest as restCall, uniqueEmail, useHarness } from "./harness.ts";

const h = useHarness();

type Json = Record<string, any>;
let doc: Json;

/**
 * Ajv in strict mode (unknown keywords, `required` naming a property that is not declared, loose
 * types: each an error) over the document's own schemas; `#/components/schemas/X` resolves to
 * the document's components.
 */
const strictAjv = (document: Json) => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  // ajv-formats is CommonJS: its plugin is the `default` of what an ESM import sees.
  (formats as unknown as { default: (ajv: Ajv2020) => void }).default(ajv);
  const rewrite = (schema: unknown): Json =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"components#/$defs/'));
  ajv.addSchema({ $id: "components", $defs: rewrite(document.components.schemas) });
  return { ajv, compile: (schema: unknown) => ajv.compile(rewrite(schema)) };
};

/** Every schema in the document with where it is and the example beside it, if any. */
const schemasOf = (document: Json) => {
  const found: Array<{ where: string; schema: Json; example?: unknown }> = [];
  for (const [path, operations] of Object.entries<Json>(document.paths)) {
    for (const [method, op] of Object.entries<Json>(operations)) {
      const at = `${method.toUpperCase()} ${path}`;
      for (const p of op.parameters ?? []) found.push({ where: `${at} parameter ${p.name}`, schema: p.schema });
      const body = op.requestBody?.content?.["application/json"];
      if (body) found.push({ where: `${at} body`, schema: body.schema, example: body.example });
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        const content = response.content?.["application/json"];
        if (content) found.push({ where: `${at} ${status}`, schema: content.schema, example: content.example });
      }
    }
  }
  return found;
};

const rest = (method: string, path: string, body?: unknown, key: string | null = h.rootKey) =>
  restCall(h, method, path, body, key);

beforeAll(async () => {
  const res = await fetch(`${h.url}/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Json;
});

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("every schema compiles under Ajv's strict mode, and every example matches its schema", () => {
    const { compile } = strictAjv(doc);
    const schemas = schemasOf(doc);
    expect(schemas.length).toBeGreaterThan(20);
    for (const { where, schema, example } of schemas) {
      const validate = (() => {
        try {
          return compile(schema);
        } catch (error) {
          throw new Error(`${where}: ${(error as Error).message}`);
        }
      })();
      if (example !== undefined) {
        expect({ where, valid: validate(example), errors: validate.errors ?? null }).toEqual({
          where,
          valid: true,
          errors: null,
        });
      }
    }
  });

  it("every required field is a declared property", () => {
    const problems: string[] = [];
    const walk = (schema: unknown, where: string) => {
      if (!schema || typeof schema !== "object") return;
      const s = schema as Json;
      for (const name of Array.isArray(s.required) ? s.required : []) {
        if (!(name in (s.properties ?? {}))) problems.push(`${where}: ${name}`);
      }
      for (const [key, value] of Object.entries(s)) walk(value, `${where}.${key}`);
    };
    walk(doc, "#");
    expect(problems).toEqual([]);
  });

  it("every success answers a schema with properties and an example; no operation answers a bare object", () => {
    for (const [path, operations] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(operations)) {
        const [status, response] = Object.entries<Json>(op.responses).find(([s]) => s.startsWith("2")) ?? [];
        expect(status, `${method} ${path}`).toBeDefined();
        if (status === "204") continue;
        const content = response?.content?.["application/json"];
        expect(content?.schema?.$ref, `${method} ${path}`).toMatch(/^#\/components\/schemas\//);
        expect(content?.example, `${method} ${path}`).toBeDefined();
      }
    }
  });

  it("documents on every operation the answer of an unreachable database (503, Retry-After)", () => {
    for (const [path, operations] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(operations)) {
        const response = op.responses["503"];
        expect(response?.headers?.["Retry-After"], `${method} ${path}`).toBeDefined();
        expect(response?.content?.["application/json"]?.example?.error?.reason, `${method} ${path}`).toBe(
          "database_unavailable",
        );
      }
    }
  });

  it("shows in its error example the message the endpoints really send", async () => {
    const { org } = await makeTenant(h);
    const real = await rest("POST", "/v1/invites", { email: "nope", organization_id: org.id });
    const example = doc.paths["/v1/invites"].post.responses["400"].content["application/json"].example;
    expect(example.error.message).toBe(real.body.error.message);
  });

  it("names no customer", () => {
    expect(JSON.stringify(doc)).not.toMatch(/athena|gitbook/i);
  });
});

describe("real answers match the documented schemas", () => {
  it("of every endpoint, success and error", async () => {
    const { compile } = strictAjv(doc);
    const check = (path: string, method: string, answer: { status: number; body: unknown }, expected: number) => {
      expect({ method, path, status: answer.status, body: answer.status === expected ? null : answer.body }).toEqual({
        method,
        path,
        status: expected,
        body: null,
      });
      const op = doc.paths[path][method.toLowerCase()];
      const response = op.responses[String(answer.status)];
      expect(response, `${method} ${path} answered ${answer.status}, which is not documented`).toBeDefined();
      const schema = response.content?.["application/json"]?.schema;
      if (!schema) return expect(answer.body).toBeUndefined();
      const validate = compile(schema);
      expect({ path, method, errors: validate(answer.body) ? null : validate.errors }).toEqual({
        path,
        method,
        errors: null,
      });
    };

    const { org, website } = await makeTenant(h);
    check(
      "/v1/invites",
      "POST",
      await rest("POST", "/v1/invites", { email: uniqueEmail(), invite_method: "email", organization_id: org.id }),
      200,
    );
    check(
      "/v1/invites",
      "POST",
      await rest("POST", "/v1/invites", {
        email: uniqueEmail(),
        invite_method: "direct",
        type: "website",
        website_id: website.id,
      }),
      200,
    );
    check("/v1/invites", "POST", await rest("POST", "/v1/invites", { email: "nope", organization_id: org.id }), 400);
    check(
      "/v1/invites/bulk",
      "POST",
      await rest("POST", "/v1/invites/bulk", {
        email: uniqueEmail(),
        invite_method: "email",
        website_ids: [website.id, randomUUID()],
      }),
      200,
    );
    check(
      "/v1/orgs/{organizationId}/invites",
      "POST",
      await rest("POST", `/v1/orgs/${org.id}/invites`, { emails: [uniqueEmail(), uniqueEmail()] }),
      200,
    );
    const created = await rest("POST", `/v1/orgs/${org.id}/link-invites`, { maxUses: 5 });
    check("/v1/orgs/{organizationId}/link-invites", "POST", created, 201);
    const linkPath = "/v1/orgs/{organizationId}/link-invites/{inviteId}";
    const link = `/v1/orgs/${org.id}/link-invites/${created.body.id}`;
    check(linkPath, "GET", await rest("GET", link), 200);
    check(linkPath, "PATCH", await rest("PATCH", link, { role: "edit", expiresAt: null }), 200);
    await rest("POST", `/v1/orgs/${org.id}/link-invites`, {});
    check(
      "/v1/orgs/{organizationId}/link-invites",
      "GET",
      await rest("GET", `/v1/orgs/${org.id}/link-invites?limit=1`),
      200,
    );
    check(linkPath, "GET", await rest("GET", `/v1/orgs/${org.id}/link-invites/${randomUUID()}`), 404);

    const added = await h.root.invites.create.mutate({
      organizationId: org.id,
      method: "direct",
      email: uniqueEmail(),
    });
    const user = "userId" in added ? added.userId : "";
    // Made a member by the direct invite, then removed: the link brings them back.
    await h.root.members.remove.mutate({ type: "organization", id: org.id, userId: user });
    const { token } = await h.root.users.issueToken.mutate({ userId: user });
    const code = (created.body.url as string).split("/").pop() as string;
    check(
      "/v1/orgs/{organizationId}/invites/{inviteId}",
      "POST",
      await rest("POST", `/v1/orgs/${org.id}/invites/${code}`, undefined, token),
      200,
    );
    check(linkPath, "DELETE", await rest("DELETE", link), 204);
    check(
      "/v1/invites",
      "POST",
      await rest("POST", "/v1/invites", JSON.stringify({ email: "a".repeat(1024 * 1024 + 1) })),
      413,
    );
    check(
      "/v1/orgs/{organizationId}/link-invites",
      "GET",
      await rest("GET", `/v1/orgs/${org.id}/link-invites`, undefined, null),
      401,
    );
  });
});

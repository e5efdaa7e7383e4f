import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from "../src/server.ts";
import { makeTenant, snapshot, useHarness } from "./harness.ts";
import { raw } from "./http.ts";

/** The defects an adversarial run found, one by one: each answered 500 or a second error shape before. */
const h = useHarness();
const json = () => ({ authorization: `Bearer ${h.rootKey}`, "content-type": "application/json" });
const UUID = "00000000-0000-4000-8000-000000000000";

const trpc = (procedure: string, input: unknown) =>
  raw(h.url, { method: "POST", path: `/trpc/${procedure}`, headers: json(), body: JSON.stringify(input) });

const rows = async () => {
  const { rows } = await h.db.query(
    "select (select count(*) from organizations) o, (select count(*) from websites) w, (select count(*) from groups) g, (select count(*) from api_keys) k",
  );
  return { ...rows[0], ...(await snapshot(h)) };
};

describe("hostile input", () => {
  it("a malformed percent-escape in a REST path is a 400 naming the parameter", async () => {
    for (const bad of ["%zz", "%", "%C0%AF", "%E0%A4%A"]) {
      const answer = await raw(h.url, { method: "GET", path: `/v1/orgs/${bad}/link-invites`, headers: json() });
      expect(answer.status).toBe(400);
      expect(answer.json.error).toMatchObject({ code: "BAD_REQUEST", reason: "invalid_input" });
      expect(Object.keys(answer.json.error.fieldErrors)).toEqual(["organizationId"]);
    }
  });

  it("keys named like Object.prototype properties are unknown fields, on tRPC and REST", async () => {
    for (const key of ["toString", "__proto__", "constructor", "valueOf", "hasOwnProperty"]) {
      const body = `{"inviteId":"${UUID}","${key}":1}`;
      const answer = await raw(h.url, { method: "POST", path: "/trpc/invites.revoke", headers: json(), body });
      expect(answer.status).toBe(400);
      expect(answer.json.error.data).toMatchObject({
        reason: "invalid_input",
        fieldErrors: { [key]: ["Unknown field"] },
      });
      const rest = await raw(h.url, {
        method: "POST",
        path: "/v1/invites",
        headers: json(),
        body: `{"email":"a@example.com","${key}":1,"role":"${key}"}`,
      });
      expect(rest.status).toBe(400);
      expect(Object.keys(rest.json.error.fieldErrors).sort()).toEqual(["role"]);
      const unknown = await raw(h.url, {
        method: "POST",
        path: "/v1/invites",
        headers: json(),
        body: `{"email":"a@example.com","${key}":1}`,
      });
      expect(unknown.json.error.fieldErrors).toEqual({ [key]: ["Unknown field"] });
    }
  });

  it("NUL and lone surrogates in any stored string are refused with a field error, never rewritten", async () => {
    const { org } = await makeTenant(h, "Nul");
    const before = await rows();
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["organizations.create", { name: "a\u0000b" }, "name"],
      ["organizations.create", { name: "a\ud800b" }, "name"],
      ["groups.create", { name: "x\udc00" }, "name"],
      ["apiKeys.create", { kind: "global", name: "k\u0000" }, "name"],
      ["websites.create", { organizationId: org.id, name: "w\u0000" }, "name"],
      ["websites.create", { organizationId: org.id, name: "w", url: "https://example.com/\u0000" }, "url"],
      ["websites.create", { organizationId: org.id, name: "w", url: "https://example.com/\ud83d" }, "url"],
      ["invites.create", { organizationId: org.id, email: "a@example.com", firstName: "A\u0000" }, "firstName"],
      ["invites.create", { organizationId: org.id, email: "a@example.com", lastName: "\ud800" }, "lastName"],
      ["invites.accept", { token: "t\u0000" }, "token"],
      ["linkInvites.join", { organizationId: org.id, inviteId: "\u0000" }, "inviteId"],
      ["organizations.inviteUsers", { organizationId: org.id, emails: ["a\u0000@example.com"] }, "emails.0"],
    ];
    for (const [procedure, input, field] of cases) {
      const answer = await trpc(procedure, input);
      expect(answer.status, `${procedure} ${answer.text}`).toBe(400);
      expect(answer.json.error.data.reason).toBe("invalid_input");
      expect(answer.json.error.data.fieldErrors[field]).toEqual([
        "Must not contain NUL characters or unpaired surrogates",
      ]);
    }
    const page = await raw(h.url, { method: "GET", path: "/v1/orgs/x/link-invites?page=%00", headers: json() });
    expect(page.status).toBe(400);
    expect(await rows()).toEqual(before);
  });

  it("TRACE and other methods are 405 in the protocol's shape", async () => {
    for (const method of ["TRACE", "PUT", "OPTIONS", "DELETE"]) {
      const answer = await raw(h.url, { method, path: "/trpc/organizations.list", headers: json() });
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe("GET, POST");
      expect(answer.json.error.data).toMatchObject({ code: "METHOD_NOT_SUPPORTED", reason: "method_not_allowed" });
      const rest = await raw(h.url, { method, path: "/v1/invites", headers: json() });
      expect(rest.status).toBe(405);
      expect(rest.headers.allow).toBe("POST");
      expect(rest.json.error).toMatchObject({ code: "METHOD_NOT_SUPPORTED", reason: "method_not_allowed" });
    }
    // A method the HTTP parser does not know never reaches a handler, and still gets the shape.
    const unknown = await raw(h.url, { method: "BREW", path: "/trpc/organizations.list", headers: json() });
    expect(unknown.status).toBe(405);
    expect(unknown.json.error.data.reason).toBe("method_not_allowed");
  });
});

describe("one error shape per protocol", () => {
  it("unparsable JSON is invalid_json on both, unknown procedures and routes are route_not_found", async () => {
    const notJson = await raw(h.url, {
      method: "POST",
      path: "/trpc/organizations.create",
      headers: json(),
      body: "{x",
    });
    expect(notJson.status).toBe(400);
    expect(notJson.json.error.data).toMatchObject({ code: "BAD_REQUEST", reason: "invalid_json" });
    expect(notJson.json.error.message).toBe("The body must be valid JSON sent as application/json.");
    const restNotJson = await raw(h.url, { method: "POST", path: "/v1/invites", headers: json(), body: "{x" });
    expect(restNotJson.json.error).toMatchObject({ reason: "invalid_json", message: notJson.json.error.message });

    const noProcedure = await raw(h.url, { method: "POST", path: "/trpc/nothing.here", headers: json(), body: "{}" });
    expect(noProcedure.status).toBe(404);
    expect(noProcedure.json.error.data.reason).toBe("route_not_found");
    expect(noProcedure.json.error.message).not.toContain("nothing");
    const noRoute = await raw(h.url, { method: "GET", path: "/v1/nothing", headers: json() });
    expect(noRoute.json.error.reason).toBe("route_not_found");
  });

  it("a 413 on /trpc is a tRPC error the typed client reads", async () => {
    try {
      await h.root.organizations.create.mutate({ name: "x".repeat(1_100_000) });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TRPCClientError);
      const e = error as TRPCClientError<never>;
      expect(e.data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", httpStatus: 413, reason: "payload_too_large" });
    }
    const rest = await raw(h.url, {
      method: "POST",
      path: "/v1/invites",
      headers: json(),
      body: "x".repeat(1_100_000),
    });
    expect(rest.status).toBe(413);
    expect(rest.json.error.reason).toBe("payload_too_large");
  });

  it("messages are sentences: no validator dump, no echo of the request", async () => {
    const answer = await trpc("organizations.create", { name: 42, echoMe: "SECRET-MARK" });
    expect(answer.json.error.message).toBe(
      "The input is invalid: fieldErrors names each field and what is wrong with it.",
    );
    expect(Object.keys(answer.json.error.data.fieldErrors).sort()).toEqual(["echoMe", "name"]);
    expect(JSON.stringify(answer.json.error.data.fieldErrors)).not.toContain("SECRET-MARK");
  });
});

describe("headers and timeouts", () => {
  it("every answer carries nosniff: JSON, errors, pages, health", async () => {
    for (const [method, path] of [
      ["GET", "/healthz"],
      ["GET", "/nowhere"],
      ["GET", "/invites/accept?token=x"],
      ["POST", "/trpc/organizations.list"],
      ["GET", "/openapi.json"],
    ] as const) {
      const answer = await raw(h.url, { method, path, headers: json() });
      expect(answer.headers["x-content-type-options"], path).toBe("nosniff");
    }
    expect(h.api.server.headersTimeout).toBe(HEADERS_TIMEOUT_MS);
    expect(h.api.server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
    expect(HEADERS_TIMEOUT_MS).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS);
  });

  it("DATABASE_URL that pg cannot parse stops the start, naming it", () => {
    const env = { TOKEN_ENCRYPTION_KEY: "k".repeat(32) };
    for (const unusable of ["postgres://u:p@127.0.0.1:99999/admit", "postgres://u:p@db:port/admit", "mysql://db/x"]) {
      expect(() => loadConfig({ ...env, DATABASE_URL: unusable })).toThrow(/^DATABASE_URL must be a postgres:\/\/ URL/);
    }
    for (const usable of ["postgresql://u:p w@db/admit", "postgres://u@/admit?host=/var/run/postgresql"]) {
      expect(loadConfig({ ...env, DATABASE_URL: usable }).databaseUrl).toBe(usable);
    }
  });

  it("SHUTDOWN_TIMEOUT is seconds from 1 to 3600, 10 by default", () => {
    const env = {
      DATABASE_URL: "postgres://a@b/c",
      TOKEN_ENCRYPTION_KEY: "k".repeat(32),
    };
    expect(loadConfig(env).shutdownTimeoutMs).toBe(10_000);
    expect(loadConfig({ ...env, SHUTDOWN_TIMEOUT: "3" }).shutdownTimeoutMs).toBe(3_000);
    for (const bad of ["0", "soon", "4000"]) {
      expect(() => loadConfig({ ...env, SHUTDOWN_TIMEOUT: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ ...env, SHUTDOWN_TIMEOUT: bad })).toThrow(/^SHUTDOWN_TIMEOUT must be/);
    }
  });
});

import { randomUUID } from "node:crypto";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { makeTenant, rest as restCall, uniqueEmail, useHarness } from "./harness.ts";

const h = useHarness();

const rest = (method: string, path: string, body?: unknown, key: string | null = h.rootKey) =>
  restCall(h, method, path, body, key);

describe("AthenaHQ: POST /v1/invites", () => {
  it("direct invite to a website answers success, message and user_id", async () => {
    const { website } = await makeTenant(h);
    const res = await rest("POST", "/v1/invites", {
      email: "  Dana.Scully@FBI.example ",
      invite_method: "direct",
      type: "website",
      website_id: website.id,
      role: "viewer",
      first_name: "Dana",
      last_name: "Scully",
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message: expect.any(String), user_id: expect.any(String) });
    const members = await h.root.members.list.query({ type: "website", id: website.id });
    expect(members.items).toEqual([expect.objectContaining({ email: "dana.scully@fbi.example", role: "read" })]);
  });

  it("email invite answers invite_id and never user_id, whether or not the account exists", async () => {
    const { org, website } = await makeTenant(h);
    const known = uniqueEmail("known");
    await rest("POST", "/v1/invites", {
      email: known,
      invite_method: "direct",
      type: "website",
      website_id: website.id,
    });
    for (const email of [known, uniqueEmail("unknown")]) {
      const res = await rest("POST", "/v1/invites", {
        email,
        invite_method: "email",
        organization_id: org.id,
        role: "admin",
      });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(["invite_id", "message", "success"]);
    }
  });

  it("errors name the snake_case field", async () => {
    const { org } = await makeTenant(h);
    const cases: Array<[unknown, string]> = [
      [{ email: uniqueEmail(), organization_id: org.id, role: "edit" }, "role"],
      [{ email: uniqueEmail(), type: "website" }, "website_id"],
      [{ email: uniqueEmail(), type: "website", website_id: randomUUID(), group_id: randomUUID() }, "group_id"],
      [{ email: "not an email", organization_id: org.id }, "email"],
      [{ email: uniqueEmail(), organization_id: org.id, invite_method: "fax" }, "invite_method"],
      [{ email: uniqueEmail(), organizationId: org.id }, "organizationId"],
    ];
    for (const [body, field] of cases) {
      const res = await rest("POST", "/v1/invites", body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "BAD_REQUEST", reason: "invalid_input" });
      expect(Object.keys(res.body.error.fieldErrors)).toContain(field);
    }
  });

  it("authentication is the bearer, exactly as tRPC; other tenants look like nothing", async () => {
    const mine = await makeTenant(h);
    const theirs = await makeTenant(h, "Other");
    expect(
      (await rest("POST", "/v1/invites", { email: uniqueEmail(), organization_id: mine.org.id }, null)).status,
    ).toBe(401);
    const foreign = await rest(
      "POST",
      "/v1/invites",
      { email: uniqueEmail(), type: "website", website_id: theirs.website.id },
      mine.key.secret,
    );
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toMatchObject({ code: "NOT_FOUND", reason: "website_not_found" });
  });
});

describe("AthenaHQ: POST /v1/invites/bulk", () => {
  it("per-target results with invite_id; user_id only for direct", async () => {
    const { org } = await makeTenant(h);
    const site = (await h.root.websites.create.mutate({ organizationId: org.id, name: "S" })).id;
    const missing = randomUUID();
    const email = await rest("POST", "/v1/invites/bulk", {
      email: uniqueEmail(),
      invite_method: "email",
      website_ids: [site, missing],
      role: "admin",
    });
    expect(email.status).toBe(200);
    expect(email.body).toEqual({
      success: true,
      message: "Bulk invite processed",
      results: [
        { target: { type: "website", id: site }, status: "invited", invite_id: expect.any(String) },
        { target: { type: "website", id: missing }, status: "not_found", reason: "website_not_found" },
      ],
    });
    const direct = await rest("POST", "/v1/invites/bulk", { email: uniqueEmail(), website_ids: [site] });
    expect(direct.body).toMatchObject({ user_id: expect.any(String), results: [{ status: "added" }] });
  });

  it("website_ids and group_ids are mutually exclusive, 1 to 50 ids", async () => {
    const both = await rest("POST", "/v1/invites/bulk", {
      email: uniqueEmail(),
      website_ids: [randomUUID()],
      group_ids: [randomUUID()],
    });
    expect(both.status).toBe(400);
    expect(Object.keys(both.body.error.fieldErrors).sort()).toEqual(["group_ids", "website_ids"]);
    const none = await rest("POST", "/v1/invites/bulk", { email: uniqueEmail() });
    expect(none.status).toBe(400);
    const empty = await rest("POST", "/v1/invites/bulk", { email: uniqueEmail(), website_ids: [] });
    expect(Object.keys(empty.body.error.fieldErrors)).toEqual(["website_ids"]);
    const tooMany = await rest("POST", "/v1/invites/bulk", {
      email: uniqueEmail(),
      group_ids: Array.from({ length: 51 }, () => randomUUID()),
    });
    expect(Object.keys(tooMany.body.error.fieldErrors)).toEqual(["group_ids"]);
  });
});

describe("GitBook: organization invites and link invites", () => {
  it("POST /v1/orgs/{id}/invites adds users", async () => {
    const { org } = await makeTenant(h);
    const res = await rest("POST", `/v1/orgs/${org.id}/invites`, {
      emails: [uniqueEmail(), uniqueEmail()],
      role: "edit",
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ users: [expect.any(String), expect.any(String)], invited: 2 });
  });

  it("link invites: create, read, update, join, delete", async () => {
    const { org, key } = await makeTenant(h);
    const created = await rest("POST", `/v1/orgs/${org.id}/link-invites`, { role: "review", maxUses: 3 }, key.secret);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ role: "review", maxUses: 3, uses: 0, url: expect.stringContaining("/join/") });
    const id = created.body.id;
    const read = await rest("GET", `/v1/orgs/${org.id}/link-invites/${id}`, undefined, key.secret);
    expect(read.body).toMatchObject({ id, role: "review", url: created.body.url });
    const patched = await rest("PATCH", `/v1/orgs/${org.id}/link-invites/${id}`, { maxUses: 2 }, key.secret);
    expect(patched.body.maxUses).toBe(2);

    const added = await h.root.invites.create.mutate({
      organizationId: (await makeTenant(h)).org.id,
      method: "direct",
      email: uniqueEmail(),
    });
    const { token } = await h.root.users.issueToken.mutate({ userId: "userId" in added ? added.userId : "" });
    const code = String(created.body.url).split("/").at(-1);
    const joined = await rest("POST", `/v1/orgs/${org.id}/invites/${code}`, undefined, token);
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ organizationId: org.id, role: "review" });

    const deleted = await rest("DELETE", `/v1/orgs/${org.id}/link-invites/${id}`, undefined, key.secret);
    expect(deleted.status).toBe(204);
    expect((await rest("GET", `/v1/orgs/${org.id}/link-invites/${id}`, undefined, key.secret)).status).toBe(404);
  });

  it("pages with page and limit to the end of 2,500 link invites", async () => {
    const { org } = await makeTenant(h);
    await h.db.query(
      `insert into link_invites (id, organization_id, code_hash, role, creator_kind, creator_name, created_at)
       select gen_random_uuid(), $1, sha256(convert_to(gen_random_uuid()::text, 'utf8')), 'read', 'root', 'seed',
              now() - make_interval(secs => g)
       from generate_series(1, 2500) g`,
      [org.id],
    );
    const seen = new Set<string>();
    let page: string | undefined;
    let pages = 0;
    do {
      const res = await rest(
        "GET",
        `/v1/orgs/${org.id}/link-invites?limit=1000${page ? `&page=${encodeURIComponent(page)}` : ""}`,
      );
      expect(res.status).toBe(200);
      for (const item of res.body.items) seen.add(item.id);
      page = res.body.next?.page;
      pages++;
    } while (page);
    expect(pages).toBe(3);
    expect(seen.size).toBe(2500);
    const tooBig = await rest("GET", `/v1/orgs/${org.id}/link-invites?limit=1001`);
    expect(tooBig.status).toBe(400);
    expect(Object.keys(tooBig.body.error.fieldErrors)).toEqual(["limit"]);
  });
});

describe("REST plumbing", () => {
  it("unknown routes 404, wrong methods 405, non-JSON 400, oversized 413", async () => {
    const nope = await rest("GET", "/v1/nope");
    expect(nope.status).toBe(404);
    expect(nope.body.error.reason).toBe("route_not_found");
    const wrong = await rest("PUT", "/v1/invites", {});
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    const notJson = await fetch(`${h.url}/v1/invites`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.rootKey}`, "content-type": "application/json" },
      body: "{oops",
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as any).error.reason).toBe("invalid_json");
    const form = await fetch(`${h.url}/v1/invites`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.rootKey}`, "content-type": "application/x-www-form-urlencoded" },
      body: "email=a@b.io",
    });
    expect(form.status).toBe(400);
    const big = await rest("POST", "/v1/invites", { email: "x".repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
  });

  it("GET /openapi.json is a valid OpenAPI 3.1 document covering every endpoint", async () => {
    const res = await fetch(`${h.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.openapi).toBe("3.1.0");
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/v1/invites",
        "/v1/invites/bulk",
        "/v1/orgs/{organizationId}/invites",
        "/v1/orgs/{organizationId}/invites/{inviteId}",
        "/v1/orgs/{organizationId}/link-invites",
        "/v1/orgs/{organizationId}/link-invites/{inviteId}",
      ].sort(),
    );
    const invite = doc.paths["/v1/invites"].post.requestBody.content["application/json"].schema;
    expect(Object.keys(invite.properties)).toEqual(
      expect.arrayContaining(["invite_method", "website_id", "group_id", "first_name", "last_name"]),
    );
    expect(invite.properties.role.enum).toEqual(["admin", "viewer"]);
  });
});

import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { count, failure, makeTenant, snapshot, uniqueEmail, useHarness } from "./harness.ts";

const h = useHarness();

describe("invites.create — who may invite to what (SPEC §2)", () => {
  it("a global key invites to an organization, a website and a group, directly and by email", async () => {
    const { org, website } = await makeTenant(h);
    const group = await h.root.groups.create.mutate({ name: "Portfolio" });
    await h.root.groups.addWebsites.mutate({ groupId: group.id, websiteIds: [website.id] });
    for (const target of [
      { type: "organization", organizationId: org.id },
      { type: "website", websiteId: website.id },
      { type: "group", groupId: group.id },
    ] as const) {
      const direct = await h.root.invites.create.mutate({ ...target, method: "direct", email: uniqueEmail() });
      expect(direct).toEqual({ success: true, message: expect.any(String), userId: expect.any(String) });
      const email = await h.root.invites.create.mutate({ ...target, method: "email", email: uniqueEmail() });
      expect(email).toEqual({ success: true, message: expect.any(String), inviteId: expect.any(String) });
    }
  });

  it("an organization key invites inside its own organization; organizationId defaults to its own", async () => {
    const { org, website, client } = await makeTenant(h);
    const a = uniqueEmail();
    const res = await client.invites.create.mutate({ method: "direct", email: a });
    const members = await h.root.members.list.query({ type: "organization", id: org.id });
    expect(members.items.map((m) => m.userId)).toContain("userId" in res ? res.userId : "");
    await client.invites.create.mutate({ type: "organization", organizationId: org.id, email: uniqueEmail() });
    await client.invites.create.mutate({ type: "website", websiteId: website.id, email: uniqueEmail() });
  });

  it("another tenant's organization or website answers exactly like one that does not exist", async () => {
    const mine = await makeTenant(h);
    const theirs = await makeTenant(h, "Other");
    const before = await snapshot(h);
    for (const method of ["direct", "email"] as const) {
      const foreignOrg = await failure(
        mine.client.invites.create.mutate({
          type: "organization",
          organizationId: theirs.org.id,
          method,
          email: uniqueEmail(),
        }),
      );
      const missingOrg = await failure(
        mine.client.invites.create.mutate({
          type: "organization",
          organizationId: randomUUID(),
          method,
          email: uniqueEmail(),
        }),
      );
      expect(foreignOrg).toMatchObject({ code: "NOT_FOUND", reason: "organization_not_found" });
      expect({ ...foreignOrg }).toEqual({ ...missingOrg });

      const foreignSite = await failure(
        mine.client.invites.create.mutate({
          type: "website",
          websiteId: theirs.website.id,
          method,
          email: uniqueEmail(),
        }),
      );
      const missingSite = await failure(
        mine.client.invites.create.mutate({ type: "website", websiteId: randomUUID(), method, email: uniqueEmail() }),
      );
      expect(foreignSite).toMatchObject({ code: "NOT_FOUND", reason: "website_not_found" });
      expect({ ...foreignSite }).toEqual({ ...missingSite });
    }
    expect(await snapshot(h)).toEqual(before);
  });

  it("an organization key cannot use groups, whether or not the group exists", async () => {
    const { client } = await makeTenant(h);
    const group = await h.root.groups.create.mutate({ name: "G" });
    for (const groupId of [group.id, randomUUID()]) {
      const err = await failure(client.invites.create.mutate({ type: "group", groupId, email: uniqueEmail() }));
      expect(err).toMatchObject({ code: "FORBIDDEN", reason: "group_requires_global_key" });
    }
  });

  it("a global key gets not_found for missing targets of every type", async () => {
    for (const [type, field] of [
      ["organization", "organizationId"],
      ["website", "websiteId"],
      ["group", "groupId"],
    ] as const) {
      const err = await failure(h.root.invites.create.mutate({ type, [field]: randomUUID(), email: uniqueEmail() }));
      expect(err).toMatchObject({ code: "NOT_FOUND", reason: `${type}_not_found` });
    }
  });

  it("no secret, an unknown secret or a revoked key is UNAUTHORIZED", async () => {
    const { org, key } = await makeTenant(h);
    const input = { organizationId: org.id, email: uniqueEmail() };
    expect(await failure(h.client().invites.create.mutate(input))).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await failure(h.client("admit_sk_nope").invites.create.mutate(input))).toMatchObject({
      code: "UNAUTHORIZED",
    });
    await h.root.apiKeys.revoke.mutate({ apiKeyId: key.id });
    expect(await failure(h.client(key.secret).invites.create.mutate(input))).toMatchObject({
      code: "UNAUTHORIZED",
      reason: "invalid_credentials",
    });
  });
});

describe("invites.create — validation answers BAD_REQUEST naming the field and writes nothing", () => {
  const cases: Array<[string, (ids: { org: string; site: string }) => Record<string, unknown>, string]> = [
    ["missing websiteId for a website", () => ({ type: "website", email: uniqueEmail() }), "websiteId"],
    ["missing groupId for a group", () => ({ type: "group", email: uniqueEmail() }), "groupId"],
    [
      "missing organizationId for a global key",
      () => ({ type: "organization", email: uniqueEmail() }),
      "organizationId",
    ],
    [
      "groupId on a website invite",
      ({ site }) => ({ type: "website", websiteId: site, groupId: randomUUID(), email: uniqueEmail() }),
      "groupId",
    ],
    [
      "organizationId on a website invite",
      ({ org, site }) => ({ type: "website", websiteId: site, organizationId: org, email: uniqueEmail() }),
      "organizationId",
    ],
    [
      "websiteId on an organization invite",
      ({ org, site }) => ({ organizationId: org, websiteId: site, email: uniqueEmail() }),
      "websiteId",
    ],
    [
      "websiteId on a group invite",
      ({ site }) => ({ type: "group", groupId: randomUUID(), websiteId: site, email: uniqueEmail() }),
      "websiteId",
    ],
    ["a bad email", ({ org }) => ({ organizationId: org, email: "not-an-email" }), "email"],
    ["an email with a display name", ({ org }) => ({ organizationId: org, email: '"Ann" <ann@example.com>' }), "email"],
    ["an email with CRLF", ({ org }) => ({ organizationId: org, email: "ann@example.com\r\nBcc: x@evil.io" }), "email"],
    ["a 255-character email", ({ org }) => ({ organizationId: org, email: `${"a".repeat(243)}@example.com` }), "email"],
    ["a missing email", ({ org }) => ({ organizationId: org }), "email"],
    ["an unknown role", ({ org }) => ({ organizationId: org, email: uniqueEmail(), role: "owner" }), "role"],
    [
      "an unknown method",
      ({ org }) => ({ organizationId: org, email: uniqueEmail(), method: "carrier-pigeon" }),
      "method",
    ],
    ["an unknown type", ({ org }) => ({ type: "planet", organizationId: org, email: uniqueEmail() }), "type"],
    ["a number as email", ({ org }) => ({ organizationId: org, email: 5 }), "email"],
    ["a number as type", ({ org }) => ({ type: 3, organizationId: org, email: uniqueEmail() }), "type"],
    ["a non-UUID id", () => ({ organizationId: "acme", email: uniqueEmail() }), "organizationId"],
    ["an unknown field", ({ org }) => ({ organizationId: org, email: uniqueEmail(), admin: true }), "admin"],
  ];

  it.each(cases)("%s", async (_label, build, field) => {
    const { org, website } = await makeTenant(h);
    const before = await snapshot(h);
    const err = await failure(h.root.invites.create.mutate(build({ org: org.id, site: website.id }) as never));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.httpStatus).toBe(400);
    expect(err.reason).toBe("invalid_input");
    expect(Object.keys(err.fieldErrors ?? {})).toContain(field);
    expect(await snapshot(h)).toEqual(before);
  });

  it("a 254-character email is accepted", async () => {
    const { org } = await makeTenant(h);
    const email = `${"a".repeat(242 - 8)}${randomUUID().slice(0, 8)}@example.com`;
    expect(email).toHaveLength(254);
    await h.root.invites.create.mutate({ organizationId: org.id, method: "direct", email });
  });
});

describe("invites.create — direct and email", () => {
  it("direct creates an unverified user and the membership, and normalizes the email", async () => {
    const { org, website } = await makeTenant(h);
    const local = `ann.${randomUUID().slice(0, 8)}`;
    const first = await h.root.invites.create.mutate({
      organizationId: org.id,
      method: "direct",
      email: `  ${local}@Example.COM`,
      role: "edit",
      firstName: "Ann",
    });
    const second = await h.root.invites.create.mutate({
      type: "website",
      websiteId: website.id,
      method: "direct",
      email: `${local}@example.com`,
    });
    expect("userId" in first && "userId" in second && first.userId === second.userId).toBe(true);
    const { rows } = await h.db.query("select email, email_verified, first_name from users where email = $1", [
      `${local}@example.com`,
    ]);
    expect(rows).toEqual([{ email: `${local}@example.com`, email_verified: false, first_name: "Ann" }]);
    const members = await h.root.members.list.query({ type: "organization", id: org.id });
    expect(members.items).toEqual([
      expect.objectContaining({ email: `${local}@example.com`, role: "edit", sso: false }),
    ]);
    expect(await count(h, "select * from deliveries where email = $1", [`${local}@example.com`])).toBe(0);
  });

  it("a second direct invite of a member is CONFLICT already_member and changes nothing", async () => {
    const { org } = await makeTenant(h);
    const email = uniqueEmail();
    await h.root.invites.create.mutate({ organizationId: org.id, method: "direct", email });
    const before = await snapshot(h);
    const err = await failure(
      h.root.invites.create.mutate({ organizationId: org.id, method: "direct", email, role: "admin" }),
    );
    expect(err).toMatchObject({ code: "CONFLICT", reason: "already_member" });
    expect(await snapshot(h)).toEqual(before);
    const err2 = await failure(h.root.invites.create.mutate({ organizationId: org.id, method: "email", email }));
    expect(err2).toMatchObject({ code: "CONFLICT", reason: "already_member" });
  });

  it("email creates a pending invite and one queued delivery, storing only the token's hash", async () => {
    const { org } = await makeTenant(h);
    const email = uniqueEmail();
    const res = await h.root.invites.create.mutate({ organizationId: org.id, email });
    expect(Object.keys(res).sort()).toEqual(["inviteId", "message", "success"]);
    const { rows } = await h.db.query(
      `select i.status, i.role, d.status as delivery_status, length(d.token_hash) as hash_bytes
       from invites i join deliveries d on d.id = i.delivery_id where i.id = $1`,
      ["inviteId" in res ? res.inviteId : ""],
    );
    expect(rows).toEqual([{ status: "pending", role: "read", delivery_status: "queued", hash_bytes: 32 }]);
    expect(await count(h, "select * from users where email = $1", [email])).toBe(0);
  });

  it("an email answer has the same keys whether or not the account exists", async () => {
    const { org, website } = await makeTenant(h);
    const existing = uniqueEmail("existing");
    await h.root.invites.create.mutate({ type: "website", websiteId: website.id, method: "direct", email: existing });
    const forExisting = await h.root.invites.create.mutate({ organizationId: org.id, email: existing });
    const forNew = await h.root.invites.create.mutate({ organizationId: org.id, email: uniqueEmail("new") });
    expect(Object.keys(forExisting).sort()).toEqual(Object.keys(forNew).sort());
    expect(forExisting).not.toHaveProperty("userId");
    expect(forExisting.message).toBe(forNew.message);
  });

  it("a new email invite for the same email and target replaces the pending one, reusing its unsent email", async () => {
    const { org } = await makeTenant(h);
    const email = uniqueEmail();
    const first = await h.root.invites.create.mutate({ organizationId: org.id, email, role: "read" });
    if (!("inviteId" in first)) throw new Error("expected an inviteId");
    const { rows: before } = await h.db.query("select delivery_id from invites where email = $1", [email]);
    const oldToken = await h.acceptToken(first.inviteId);
    const second = await h.root.invites.create.mutate({ organizationId: org.id, email, role: "edit" });
    expect(second).toEqual(first);
    const { rows } = await h.db.query("select status, role, delivery_id from invites where email = $1", [email]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "pending", role: "edit" });
    // The queued delivery carries the replacement with a new token: still one email to send.
    expect(rows[0].delivery_id).toBe(before[0].delivery_id);
    expect(await count(h, "select * from deliveries where email = $1 and status = 'queued'", [email])).toBe(1);
    const newToken = await h.acceptToken(first.inviteId);
    expect(newToken).not.toBe(oldToken);
    expect(await failure(h.client().invites.accept.mutate({ token: oldToken }))).toMatchObject({
      code: "CONFLICT",
      reason: "invite_superseded",
    });
  });

  it("an unexpected failure answers INTERNAL_SERVER_ERROR without internals", async () => {
    const { org } = await makeTenant(h);
    await h.db.query("alter table deliveries rename to deliveries_away");
    try {
      const err = await failure(h.root.invites.create.mutate({ organizationId: org.id, email: uniqueEmail() }));
      expect(err).toMatchObject({ code: "INTERNAL_SERVER_ERROR", reason: "internal_error" });
      expect(err.message).toBe("Internal server error");
      expect(JSON.stringify(err)).not.toMatch(/deliveries|relation|sql|stack/i);
    } finally {
      await h.db.query("alter table deliveries_away rename to deliveries");
    }
  });
});

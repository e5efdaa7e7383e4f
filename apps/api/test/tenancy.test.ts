import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { loadConfig, startApiServer } from "../src/index.ts";
import { failure, makeTenant, uniqueEmail, useHarness } from "./harness.ts";

const h = useHarness();

describe("organizations", () => {
  it("only a global key creates organizations", async () => {
    const { client } = await makeTenant(h);
    expect(await failure(client.organizations.create.mutate({ name: "Nope" }))).toMatchObject({
      code: "FORBIDDEN",
      reason: "global_key_required",
    });
    const org = await h.root.organizations.create.mutate({ name: "  Globex  " });
    expect(org).toEqual({
      id: expect.any(String),
      name: "Globex",
      displayName: null,
      logoUrl: null,
      primaryColor: null,
      supportEmail: null,
      locale: null,
      allowedRedirectOrigins: [],
      appUrl: null,
      emailInvitesPerHour: null,
      createdAt: expect.any(String),
    });
    expect(new Date(org.createdAt).toISOString()).toBe(org.createdAt);
  });

  it("an organization key sees its own organization only", async () => {
    const mine = await makeTenant(h);
    const theirs = await makeTenant(h, "Other");
    expect(await mine.client.organizations.get.query({ organizationId: mine.org.id })).toEqual(mine.org);
    const foreign = await failure(mine.client.organizations.get.query({ organizationId: theirs.org.id }));
    const missing = await failure(mine.client.organizations.get.query({ organizationId: randomUUID() }));
    expect(foreign).toMatchObject({ code: "NOT_FOUND", reason: "organization_not_found" });
    expect({ ...foreign }).toEqual({ ...missing });
    const list = await mine.client.organizations.list.query({});
    expect(list).toEqual({ items: [mine.org], nextCursor: null });
  });

  it("a global key pages through every organization with a keyset cursor", async () => {
    for (let i = 0; i < 5; i++) await h.root.organizations.create.mutate({ name: `Paged ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await h.root.organizations.list.query({
        limit: 2,
        cursor,
      });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const all = await h.root.organizations.list.query({ limit: 1000 });
    expect(seen).toEqual(all.items.map((o) => o.id));
    expect(await failure(h.root.organizations.list.query({ cursor: "garbage" }))).toMatchObject({
      code: "BAD_REQUEST",
      fieldErrors: { cursor: expect.any(Array) },
    });
    expect(await failure(h.root.organizations.list.query({ limit: 1001 }))).toMatchObject({
      code: "BAD_REQUEST",
      fieldErrors: { limit: expect.any(Array) },
    });
  });
});

describe("websites", () => {
  it("an organization key creates, reads and lists websites of its own organization only", async () => {
    const mine = await makeTenant(h);
    const theirs = await makeTenant(h, "Other");
    const site = await mine.client.websites.create.mutate({
      organizationId: mine.org.id,
      name: "Blog",
      url: "https://blog.example.com",
    });
    expect(site).toMatchObject({ organizationId: mine.org.id, name: "Blog", url: "https://blog.example.com" });
    expect(await mine.client.websites.get.query({ websiteId: site.id })).toEqual(site);
    const list = await mine.client.websites.list.query({ organizationId: mine.org.id });
    expect(list.items.map((w) => w.id)).toEqual([site.id, mine.website.id]);
    expect(
      await failure(mine.client.websites.create.mutate({ organizationId: theirs.org.id, name: "Sneaky" })),
    ).toMatchObject({ code: "NOT_FOUND", reason: "organization_not_found" });
    expect(await failure(mine.client.websites.get.query({ websiteId: theirs.website.id }))).toMatchObject({
      code: "NOT_FOUND",
      reason: "website_not_found",
    });
    expect(await failure(mine.client.websites.list.query({ organizationId: theirs.org.id }))).toMatchObject({
      code: "NOT_FOUND",
    });
    expect(
      await failure(mine.client.websites.create.mutate({ organizationId: mine.org.id, name: "x", url: "ftp://x" })),
    ).toMatchObject({ code: "BAD_REQUEST", fieldErrors: { url: expect.any(Array) } });
  });
});

describe("groups", () => {
  it("a global key manages groups spanning organizations; an organization key may not touch them", async () => {
    const a = await makeTenant(h, "A");
    const b = await makeTenant(h, "B");
    const group = await h.root.groups.create.mutate({ name: "Agency portfolio" });
    const added = await h.root.groups.addWebsites.mutate({
      groupId: group.id,
      websiteIds: [a.website.id, b.website.id],
    });
    expect([...added.websiteIds].sort()).toEqual([a.website.id, b.website.id].sort());
    const removed = await h.root.groups.removeWebsites.mutate({ groupId: group.id, websiteIds: [a.website.id] });
    expect(removed.websiteIds).toEqual([b.website.id]);
    expect((await h.root.groups.get.query({ groupId: group.id })).websiteIds).toEqual([b.website.id]);
    const listed = await h.root.groups.list.query({ limit: 1000 });
    expect(listed.items.map((g) => g.id)).toContain(group.id);

    for (const call of [
      () => a.client.groups.create.mutate({ name: "x" }),
      () => a.client.groups.get.query({ groupId: group.id }),
      () => a.client.groups.list.query({}),
      () => a.client.groups.addWebsites.mutate({ groupId: group.id, websiteIds: [a.website.id] }),
      () => a.client.members.list.query({ type: "group", id: group.id }),
    ]) {
      expect(await failure(call())).toMatchObject({ code: "FORBIDDEN", reason: "group_requires_global_key" });
    }
  });

  it("adding an unknown website changes nothing", async () => {
    const a = await makeTenant(h);
    const group = await h.root.groups.create.mutate({ name: "G" });
    const err = await failure(
      h.root.groups.addWebsites.mutate({ groupId: group.id, websiteIds: [a.website.id, randomUUID()] }),
    );
    expect(err).toMatchObject({ code: "NOT_FOUND", reason: "website_not_found" });
    expect((await h.root.groups.get.query({ groupId: group.id })).websiteIds).toEqual([]);
    expect(
      await failure(h.root.groups.addWebsites.mutate({ groupId: group.id, websiteIds: [a.website.id, a.website.id] })),
    ).toMatchObject({ code: "BAD_REQUEST", fieldErrors: { websiteIds: expect.any(Array) } });
  });
});

describe("members.list", () => {
  it("lists members of the caller's own targets, newest first", async () => {
    const mine = await makeTenant(h);
    const theirs = await makeTenant(h, "Other");
    const emails = [uniqueEmail("m1"), uniqueEmail("m2"), uniqueEmail("m3")];
    for (const email of emails) await mine.client.invites.create.mutate({ method: "direct", email });
    const page1 = await mine.client.members.list.query({ type: "organization", id: mine.org.id, limit: 2 });
    expect(page1.items.map((m) => m.email)).toEqual([emails[2], emails[1]]);
    const page2 = await mine.client.members.list.query({
      type: "organization",
      id: mine.org.id,
      limit: 2,
      cursor: page1.nextCursor,
    });
    expect(page2).toMatchObject({ items: [{ email: emails[0], role: "read", sso: false }], nextCursor: null });
    expect(await failure(mine.client.members.list.query({ type: "organization", id: theirs.org.id }))).toMatchObject({
      code: "NOT_FOUND",
      reason: "organization_not_found",
    });
    expect(await failure(mine.client.members.list.query({ type: "website", id: theirs.website.id }))).toMatchObject({
      code: "NOT_FOUND",
      reason: "website_not_found",
    });
  });

  it("concurrent role changes and removals of one membership: the events chain to the final state", async () => {
    const { org, client } = await makeTenant(h);
    const added = await client.invites.create.mutate({ method: "direct", email: uniqueEmail("raced") });
    const userId = "userId" in added ? added.userId : "";
    const member = { type: "organization" as const, id: org.id, userId };
    const roles = ["admin", "create", "edit", "review", "comment", "read"] as const;
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        client.members.updateRole.mutate({ ...member, role: roles[i % roles.length] ?? "read" }),
      ),
    );
    const events = async () => {
      const { rows } = await h.db.query<{ type: string; data: { role: string; previousRole?: string } }>(
        "select type, data from events where data->>'userId' = $1 and type like 'member.%' order by id",
        [userId],
      );
      return rows;
    };
    const { rows } = await h.db.query("select role from memberships where user_id = $1 and target_id = $2", [
      userId,
      org.id,
    ]);
    const changes = (await events()).filter((e) => e.type === "member.role_changed");
    // Each change names the role it replaced, and the last one is the role the membership has.
    let role = "read";
    for (const change of changes) {
      expect(change.data.previousRole).toBe(role);
      expect(change.data.role).not.toBe(role);
      role = change.data.role;
    }
    expect(role).toBe(rows[0].role);

    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 5 }, () => client.members.updateRole.mutate({ ...member, role: "edit" })),
      client.members.remove.mutate(member),
      client.members.remove.mutate(member),
    ]);
    expect(outcomes.filter((o, i) => i >= 5 && o.status === "fulfilled")).toHaveLength(1);
    const after = (await events()).slice(changes.length + 1);
    // At most one change to edit (none if it was already edit), then exactly one removal, of the role it had.
    expect(after.filter((e) => e.type === "member.role_changed").length).toBeLessThanOrEqual(1);
    expect(after.filter((e) => e.type === "member.removed")).toHaveLength(1);
    expect(after.at(-1)?.type).toBe("member.removed");
  });
});

describe("apiKeys", () => {
  it("shows a secret once, stores only its hash, and works as a bearer until revoked", async () => {
    const { org } = await makeTenant(h);
    const key = await h.root.apiKeys.create.mutate({ kind: "organization", organizationId: org.id, name: "CI" });
    expect(key.secret).toMatch(/^admit_sk_[A-Za-z0-9_-]{43}$/);
    const { rows } = await h.db.query("select encode(secret_hash, 'hex') as hash from api_keys where id = $1", [
      key.id,
    ]);
    expect(rows[0].hash).toHaveLength(64);
    expect(JSON.stringify(rows)).not.toContain(key.secret);
    const listed = await h.root.apiKeys.list.query({ organizationId: org.id });
    expect(listed.items.find((k) => k.id === key.id)).not.toHaveProperty("secret");
    await h.client(key.secret).organizations.get.query({ organizationId: org.id });
    const revoked = await h.root.apiKeys.revoke.mutate({ apiKeyId: key.id });
    expect(revoked.revokedAt).not.toBeNull();
    await h.root.apiKeys.revoke.mutate({ apiKeyId: key.id });
    expect(await failure(h.client(key.secret).organizations.get.query({ organizationId: org.id }))).toMatchObject({
      code: "UNAUTHORIZED",
    });
  });

  it("an organization key manages its own organization's keys only and never creates global keys", async () => {
    const mine = await makeTenant(h);
    const theirs = await makeTenant(h, "Other");
    const child = await mine.client.apiKeys.create.mutate({ kind: "organization", name: "child" });
    expect(child.organizationId).toBe(mine.org.id);
    expect(await failure(mine.client.apiKeys.create.mutate({ kind: "global", name: "root?" }))).toMatchObject({
      code: "FORBIDDEN",
      reason: "global_key_required",
    });
    expect(
      await failure(
        mine.client.apiKeys.create.mutate({ kind: "organization", organizationId: theirs.org.id, name: "x" }),
      ),
    ).toMatchObject({ code: "NOT_FOUND", reason: "organization_not_found" });
    const listed = await mine.client.apiKeys.list.query({});
    expect(listed.items.every((k) => k.organizationId === mine.org.id)).toBe(true);
    expect(listed.items.map((k) => k.id)).toEqual(expect.arrayContaining([child.id, mine.key.id]));
    expect(await failure(mine.client.apiKeys.revoke.mutate({ apiKeyId: theirs.key.id }))).toMatchObject({
      code: "NOT_FOUND",
      reason: "api_key_not_found",
    });
    await mine.client.apiKeys.revoke.mutate({ apiKeyId: child.id });
  });

  it("a global key created through the API is a global key", async () => {
    const key = await h.root.apiKeys.create.mutate({ kind: "global", name: "ops" });
    expect(key).toMatchObject({ kind: "global", organizationId: null });
    const org = await h.client(key.secret).organizations.create.mutate({ name: "Made by ops" });
    expect(org.name).toBe("Made by ops");
  });
});

describe("the HTTP server", () => {
  it("a server that has not queried anything yet is ready", async () => {
    const fresh = await startApiServer(
      loadConfig({
        DATABASE_URL: inject("databaseUrl"),
        PORT: "0",
        HOST: "127.0.0.1",
        TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
      }),
    );
    try {
      expect(await (await fetch(`${fresh.url}/readyz`)).json()).toEqual({ status: "ready" });
    } finally {
      await fresh.close();
    }
  });

  it("answers health, readiness, unknown routes and oversized bodies", async () => {
    expect(await (await fetch(`${h.url}/healthz`)).json()).toEqual({ status: "ok" });
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    const missing = await fetch(`${h.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { reason: "route_not_found" } });
    const big = await fetch(`${h.url}/trpc/organizations.create`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${h.rootKey}` },
      body: JSON.stringify({ name: "x".repeat(2 * 1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    const notJson = await fetch(`${h.url}/trpc/organizations.create`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${h.rootKey}` },
      body: "{not json",
    });
    expect(notJson.status).toBe(400);
  });
});

import { describe, expect, it } from "vitest";
import { failure, makeTenant, snapshot, uniqueEmail, useHarness } from "./harness.ts";

const statements: string[] = [];
const h = useHarness({ onQuery: (sql) => statements.push(sql) });

const RECEIVER = "http://127.0.0.1:9/hooks";

describe("webhooks.* and audit.list over the API", () => {
  it("create answers a whsec_ secret once; get and list never show it; it is stored sealed", async () => {
    const t = await makeTenant(h, "Hooks");
    const created = await t.client.webhooks.create.mutate({ url: RECEIVER, eventTypes: ["invite.created"] });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created).toMatchObject({ organizationId: t.org.id, url: RECEIVER, enabled: true });
    const read = await t.client.webhooks.get.query({ webhookId: created.id });
    expect(read).not.toHaveProperty("secret");
    const listed = await t.client.webhooks.list.query();
    expect(listed.items.map((e) => e.id)).toEqual([created.id]);
    expect(JSON.stringify(listed)).not.toContain(created.secret.slice(6));
    const { rows } = await h.db.query("select * from webhook_endpoints where id = $1", [created.id]);
    expect(JSON.stringify(rows)).not.toContain(created.secret.slice(6));
    const events = await h.db.query("select * from events where organization_id = $1", [t.org.id]);
    expect(JSON.stringify(events.rows)).not.toContain(created.secret.slice(6));
    const rotated = await t.client.webhooks.rotateSecret.mutate({ webhookId: created.id });
    expect(rotated.secret).not.toBe(created.secret);
    expect(new Date(rotated.previousSecretExpiresAt).getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
  });

  it("bad input is BAD_REQUEST naming the field; another tenant is NOT_FOUND; nothing is written", async () => {
    const a = await makeTenant(h, "A");
    const b = await makeTenant(h, "B");
    const before = await snapshot(h);
    const cases: Array<[() => Promise<unknown>, string, string]> = [
      [() => a.client.webhooks.create.mutate({ url: "http://hooks.example.com/x" }), "BAD_REQUEST", "url"],
      [() => a.client.webhooks.create.mutate({ url: "https://192.168.0.10/x" }), "BAD_REQUEST", "url"],
      [() => a.client.webhooks.create.mutate({ url: "https://[::1]/x" }), "BAD_REQUEST", "url"],
      [() => a.client.webhooks.create.mutate({ url: "https://169.254.169.254/latest" }), "BAD_REQUEST", "url"],
      [() => a.client.webhooks.create.mutate({ url: "https://localhost/x" }), "BAD_REQUEST", "url"],
      [() => a.client.webhooks.create.mutate({ url: "not a url" }), "BAD_REQUEST", "url"],
      [
        () =>
          a.client.webhooks.create.mutate({
            url: RECEIVER,
            eventTypes: ["invite.created", "invite.exploded" as never],
          }),
        "BAD_REQUEST",
        "eventTypes.1",
      ],
      [() => a.client.audit.list.query({ limit: 1001 }), "BAD_REQUEST", "limit"],
      [() => a.client.audit.list.query({ types: ["nope" as never] }), "BAD_REQUEST", "types.0"],
      [() => a.client.audit.list.query({ since: "yesterday" }), "BAD_REQUEST", "since"],
    ];
    for (const [call, code, field] of cases) {
      const err = await failure(call());
      expect(err.code, field).toBe(code);
      expect(Object.keys(err.fieldErrors ?? {}), field).toContain(field);
    }
    const foreign = await failure(a.client.webhooks.create.mutate({ organizationId: b.org.id, url: RECEIVER }));
    const missing = await failure(
      a.client.webhooks.create.mutate({ organizationId: "99999999-9999-4999-8999-999999999999", url: RECEIVER }),
    );
    expect(foreign).toEqual(missing);
    expect(foreign).toMatchObject({ code: "NOT_FOUND", reason: "organization_not_found" });
    const auditForeign = await failure(a.client.audit.list.query({ organizationId: b.org.id }));
    expect(auditForeign).toMatchObject({ code: "NOT_FOUND", reason: "organization_not_found" });
    const ofB = await b.client.webhooks.create.mutate({ url: RECEIVER });
    const afterB = await snapshot(h);
    for (const call of [
      () => a.client.webhooks.get.query({ webhookId: ofB.id }),
      () => a.client.webhooks.update.mutate({ webhookId: ofB.id, enabled: false }),
      () => a.client.webhooks.delete.mutate({ webhookId: ofB.id }),
      () => a.client.webhooks.rotateSecret.mutate({ webhookId: ofB.id }),
      () => a.client.webhooks.test.mutate({ webhookId: ofB.id }),
      () => a.client.webhooks.attempts.query({ webhookId: ofB.id }),
    ]) {
      expect(await failure(call())).toMatchObject({ code: "NOT_FOUND", reason: "webhook_not_found" });
    }
    const badUpdate = await failure(
      b.client.webhooks.update.mutate({ webhookId: ofB.id, url: "http://evil.example/" }),
    );
    expect(badUpdate.fieldErrors).toHaveProperty("url");
    expect(await snapshot(h)).toEqual(afterB);
    expect(Number(afterB?.wh)).toBe(Number(before?.wh) + 1);
    expect(Number(afterB?.e)).toBe(Number(before?.e) + 1);
  });

  it("a NUL or a lone surrogate in url or description is BAD_REQUEST on that field, never stored", async () => {
    const t = await makeTenant(h, "Text");
    const endpoint = await t.client.webhooks.create.mutate({ url: RECEIVER });
    const before = await snapshot(h);
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => t.client.webhooks.create.mutate({ url: RECEIVER, description: "a\u0000b" }), "description"],
      [() => t.client.webhooks.create.mutate({ url: RECEIVER, description: "a\ud800b" }), "description"],
      [() => t.client.webhooks.create.mutate({ url: `${RECEIVER}/\u0000` }), "url"],
      [() => t.client.webhooks.create.mutate({ url: `${RECEIVER}/\udc00` }), "url"],
      [() => t.client.webhooks.update.mutate({ webhookId: endpoint.id, description: "\u0000" }), "description"],
      [() => t.client.webhooks.update.mutate({ webhookId: endpoint.id, url: `${RECEIVER}/\ud83d` }), "url"],
    ];
    for (const [call, field] of cases) {
      const err = await failure(call());
      expect(err, field).toMatchObject({ code: "BAD_REQUEST", reason: "invalid_input" });
      expect(err.fieldErrors?.[field], field).toEqual(["Must not contain NUL characters or unpaired surrogates"]);
    }
    expect(await snapshot(h)).toEqual(before);
  });

  it("testing a disabled endpoint is CONFLICT webhook_disabled, since nothing would be sent, and records nothing", async () => {
    const t = await makeTenant(h, "Disabled");
    const hook = await t.client.webhooks.create.mutate({ url: RECEIVER });
    await t.client.webhooks.update.mutate({ webhookId: hook.id, enabled: false });
    const before = await snapshot(h);
    expect(await failure(t.client.webhooks.test.mutate({ webhookId: hook.id }))).toMatchObject({
      code: "CONFLICT",
      reason: "webhook_disabled",
      httpStatus: 409,
    });
    expect(await snapshot(h)).toEqual(before);
    await t.client.webhooks.update.mutate({ webhookId: hook.id, enabled: true });
    expect(await t.client.webhooks.test.mutate({ webhookId: hook.id })).toEqual({ success: true });
  });

  it("a user token cannot manage webhooks or read the audit trail", async () => {
    const t = await makeTenant(h, "Users");
    const user = await h.root.invites.create.mutate({
      organizationId: t.org.id,
      email: uniqueEmail(),
      method: "direct",
      role: "admin",
    });
    const token = await h.root.users.issueToken.mutate({ userId: (user as { userId: string }).userId });
    const asUser = h.client(token.token);
    expect((await failure(asUser.webhooks.create.mutate({ url: RECEIVER }))).code).toBe("FORBIDDEN");
    expect((await failure(asUser.audit.list.query({}))).code).toBe("FORBIDDEN");
  });

  it("audit.list: newest first, keyset pages, filters; an organization key reads only its own", async () => {
    const a = await makeTenant(h, "AuditA");
    const b = await makeTenant(h, "AuditB");
    for (let i = 0; i < 5; i++) await a.client.linkInvites.create.mutate({ organizationId: a.org.id });
    await b.client.linkInvites.create.mutate({ organizationId: b.org.id });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof a.client.audit.list.query>> = await a.client.audit.list.query({
        types: ["link_invite.created"],
        limit: 2,
        cursor,
      });
      seen.push(...page.items.map((e) => e.subject.id));
      for (const e of page.items) expect(e.organizationId).toBe(a.org.id);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    const all = await a.client.audit.list.query({});
    expect(all.items.map((e) => e.type)).toEqual([...Array(5).fill("link_invite.created"), "api_key.created"]);
    expect(all.items[0]?.actor).toMatchObject({ kind: "api_key", id: a.key.id });
    const times = all.items.map((e) => e.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);
    const global = await h.root.audit.list.query({ organizationId: b.org.id });
    expect(global.items.map((e) => e.type)).toEqual(["link_invite.created", "api_key.created"]);
    const later = await a.client.audit.list.query({ since: new Date(Date.now() + 60_000).toISOString() });
    expect(later.items).toEqual([]);
  });

  it("member events carry the member's email, role and target, removal included", async () => {
    const t = await makeTenant(h, "Members");
    const email = uniqueEmail("member");
    const added = await t.client.invites.create.mutate({
      type: "website",
      websiteId: t.website.id,
      method: "direct",
      email,
    });
    const userId = "userId" in added ? added.userId : "";
    const target = { type: "website", id: t.website.id };
    await t.client.members.updateRole.mutate({ ...target, userId, role: "edit" } as never);
    await t.client.members.remove.mutate({ ...target, userId } as never);
    const audit = await t.client.audit.list.query({ types: ["member.added", "member.role_changed", "member.removed"] });
    expect(audit.items.map((e) => [e.type, e.subject, e.data])).toEqual([
      ["member.removed", { type: "user", id: userId }, { userId, email, target, role: "edit" }],
      [
        "member.role_changed",
        { type: "user", id: userId },
        { userId, email, target, role: "edit", previousRole: "read" },
      ],
      ["member.added", { type: "user", id: userId }, { userId, email, target, role: "read" }],
    ]);
  });

  it("writing the events adds one statement to a mutation, whatever the number of events", async () => {
    const t = await makeTenant(h, "Statements");
    const sites = await Promise.all(
      Array.from({ length: 10 }, (_, i) => h.root.websites.create.mutate({ organizationId: t.org.id, name: `s${i}` })),
    );
    statements.length = 0;
    const res = await h.root.invites.createBulk.mutate({
      method: "direct",
      email: uniqueEmail(),
      websiteIds: sites.map((s) => s.id),
    });
    expect(res.results.every((r) => r.status === "added")).toBe(true);
    const eventWrites = statements.filter((s) => /insert into "?events"?/i.test(s));
    expect(eventWrites).toHaveLength(1);
    const audit = await h.root.audit.list.query({ organizationId: t.org.id, types: ["member.added"] });
    expect(audit.items).toHaveLength(10);
  });
});

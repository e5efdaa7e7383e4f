import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { count, failure, makeTenant, uniqueEmail, useHarness } from "./harness.ts";

const h = useHarness();

const emailInvite = async (organizationId: string, email = uniqueEmail(), role: "read" | "edit" | "admin" = "read") => {
  const res = await h.root.invites.create.mutate({ organizationId, email, role });
  if (!("inviteId" in res)) throw new Error("expected an inviteId");
  return { inviteId: res.inviteId, email };
};

const post = (path: string, body: unknown, key?: string) =>
  fetch(`${h.url}/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

describe("get and list", () => {
  it("an invite view shows what was asked, and its delivery", async () => {
    const { org } = await makeTenant(h);
    const { inviteId, email } = await emailInvite(org.id, uniqueEmail(), "edit");
    const view = await h.root.invites.get.query({ inviteId });
    expect(view).toEqual({
      id: inviteId,
      email,
      target: { type: "organization", id: org.id },
      organizationId: org.id,
      role: "edit",
      status: "pending",
      expiresAt: expect.any(String),
      createdAt: expect.any(String),
      invitedBy: { kind: "root", id: null, name: expect.any(String) },
      delivery: { id: expect.any(String), status: "queued", lastError: null, bounce: null },
      redirectUrl: null,
      locale: null,
    });
    const ttl = new Date(view.expiresAt).getTime() - new Date(view.createdAt).getTime();
    expect(Math.abs(ttl - 7 * 86_400_000)).toBeLessThan(60_000);
  });

  it("another tenant's invite is not found; list filters and pages newest first", async () => {
    const mine = await makeTenant(h);
    const theirs = await makeTenant(h, "Other");
    const theirInvite = await emailInvite(theirs.org.id);
    expect(await failure(mine.client.invites.get.query({ inviteId: theirInvite.inviteId }))).toMatchObject({
      code: "NOT_FOUND",
      reason: "invite_not_found",
    });
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await emailInvite(mine.org.id));
    await mine.client.invites.create.mutate({ type: "website", websiteId: mine.website.id, email: uniqueEmail() });
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await mine.client.invites.list.query({ organizationId: mine.org.id, limit: 2, cursor });
      ids.push(...page.items.map((i: any) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(6);
    expect(ids.slice(1)).toEqual(created.map((c) => c.inviteId).reverse());
    const bySite = await mine.client.invites.list.query({ websiteId: mine.website.id });
    expect(bySite.items).toHaveLength(1);
    const byEmail = await mine.client.invites.list.query({ email: created[2]?.email.toUpperCase() });
    expect(byEmail.items.map((i) => i.id)).toEqual([created[2]?.inviteId]);
    const foreign = await mine.client.invites.list.query({});
    expect(foreign.items.every((i) => i.organizationId === mine.org.id)).toBe(true);
    expect(await failure(mine.client.invites.list.query({ organizationId: theirs.org.id }))).toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("revoke and resend", () => {
  it("revoke is idempotent and kills the token", async () => {
    const { org } = await makeTenant(h);
    const { inviteId } = await emailInvite(org.id);
    const token = await h.acceptToken(inviteId);
    expect((await h.root.invites.revoke.mutate({ inviteId })).status).toBe("revoked");
    expect((await h.root.invites.revoke.mutate({ inviteId })).status).toBe("revoked");
    expect(await failure(h.client().invites.accept.mutate({ token }))).toMatchObject({
      code: "CONFLICT",
      reason: "invite_revoked",
    });
  });

  it("resend gives a new token, a new expiry and a new delivery; the old token stops working", async () => {
    const { org } = await makeTenant(h);
    const { inviteId } = await emailInvite(org.id);
    const oldToken = await h.acceptToken(inviteId);
    const before = await h.root.invites.get.query({ inviteId });
    await new Promise((r) => setTimeout(r, 5));
    const after = await h.root.invites.resend.mutate({ inviteId });
    expect(after.delivery.id).not.toBe(before.delivery.id);
    expect(new Date(after.expiresAt).getTime()).toBeGreaterThan(new Date(before.expiresAt).getTime());
    const newToken = await h.acceptToken(inviteId);
    expect(newToken).not.toBe(oldToken);
    expect(await failure(h.client().invites.accept.mutate({ token: oldToken }))).toMatchObject({
      code: "CONFLICT",
      reason: "invite_superseded",
    });
    await h.client().invites.accept.mutate({ token: newToken });
  });

  it("resend is throttled per recipient", async () => {
    const { org, website } = await makeTenant(h);
    const email = uniqueEmail();
    const a = await emailInvite(org.id, email);
    const b = await h.root.invites.create.mutate({ type: "website", websiteId: website.id, email });
    const answers = await Promise.all(
      [a.inviteId, "inviteId" in b ? b.inviteId : "", a.inviteId, a.inviteId, a.inviteId].map((inviteId) =>
        post("invites.resend", { inviteId }, h.rootKey),
      ),
    );
    expect(answers.filter((r) => r.status === 200)).toHaveLength(3);
    const throttled = answers.filter((r) => r.status === 429);
    expect(throttled).toHaveLength(2);
    expect(throttled[0]?.body.error.data).toMatchObject({ code: "TOO_MANY_REQUESTS", reason: "resend_throttled" });
  });
});

describe("preview, accept, decline", () => {
  it("preview shows what, from whom and until when, and consumes nothing", async () => {
    const { org, website } = await makeTenant(h);
    const email = uniqueEmail();
    const bulk = await h.root.invites.createBulk.mutate({
      method: "email",
      email,
      role: "edit",
      websiteIds: [website.id],
    });
    const inviteId = bulk.results[0]?.inviteId as string;
    const token = await h.acceptToken(inviteId);
    const preview = await h.client().invites.preview.query({ token });
    expect(preview).toEqual({
      invitedBy: expect.any(String),
      expiresAt: expect.any(String),
      locale: null,
      organization: { id: org.id, name: org.name, logoUrl: null, primaryColor: null, supportEmail: null },
      targets: [
        {
          type: "website",
          id: website.id,
          name: website.name,
          organization: { id: org.id, name: org.name },
          role: "edit",
        },
      ],
    });
    expect(JSON.stringify(preview)).not.toContain(email);
    await h.client().invites.preview.query({ token });
    expect((await h.root.invites.get.query({ inviteId })).status).toBe("pending");
  });

  it("accept creates a verified user and every membership of the delivery in one go; the token works once", async () => {
    const { org } = await makeTenant(h);
    const sites = [
      (await h.root.websites.create.mutate({ organizationId: org.id, name: "A" })).id,
      (await h.root.websites.create.mutate({ organizationId: org.id, name: "B" })).id,
    ];
    const email = uniqueEmail();
    const bulk = await h.root.invites.createBulk.mutate({ method: "email", email, role: "comment", websiteIds: sites });
    const token = await h.acceptToken(bulk.results[0]?.inviteId as string);
    const res = await h.client().invites.accept.mutate({ token, firstName: "Bea", lastName: "Smith" });
    expect(res).toEqual({
      userId: expect.any(String),
      memberships: sites.map((id) => ({ target: { type: "website", id }, role: "comment" })),
      redirectUrl: null,
    });
    const { rows } = await h.db.query("select email_verified, first_name from users where id = $1", [res.userId]);
    expect(rows).toEqual([{ email_verified: true, first_name: "Bea" }]);
    expect(await count(h, "select * from memberships where user_id = $1", [res.userId])).toBe(2);
    expect(await failure(h.client().invites.accept.mutate({ token }))).toMatchObject({
      code: "CONFLICT",
      reason: "invite_already_accepted",
    });
    expect((await h.root.invites.get.query({ inviteId: bulk.results[1]?.inviteId as string })).status).toBe("accepted");
  });

  it("accept marks an existing unverified user verified", async () => {
    const { org, website } = await makeTenant(h);
    const email = uniqueEmail();
    await h.root.invites.create.mutate({ type: "website", websiteId: website.id, method: "direct", email });
    const { inviteId } = await emailInvite(org.id, email);
    await h.client().invites.accept.mutate({ token: await h.acceptToken(inviteId) });
    const { rows } = await h.db.query("select email_verified from users where email = $1", [email]);
    expect(rows).toEqual([{ email_verified: true }]);
  });

  it("decline closes the invite; unknown, replaced and expired tokens are refused with their reason", async () => {
    const { org } = await makeTenant(h);
    const { inviteId, email } = await emailInvite(org.id);
    const token = await h.acceptToken(inviteId);
    expect(await h.client().invites.decline.mutate({ token })).toEqual({ success: true, declined: 1 });
    expect((await h.root.invites.get.query({ inviteId })).status).toBe("declined");
    expect(await failure(h.client().invites.accept.mutate({ token }))).toMatchObject({ reason: "invite_declined" });

    expect(await failure(h.client().invites.accept.mutate({ token: `inv_${randomUUID()}` }))).toMatchObject({
      code: "NOT_FOUND",
      reason: "invite_not_found",
    });

    const replaced = await emailInvite(org.id, uniqueEmail());
    const firstToken = await h.acceptToken(replaced.inviteId);
    await h.root.invites.create.mutate({ organizationId: org.id, email: replaced.email });
    expect(await failure(h.client().invites.accept.mutate({ token: firstToken }))).toMatchObject({
      code: "CONFLICT",
      reason: "invite_superseded",
    });

    const expiring = await emailInvite(org.id, uniqueEmail());
    await h.db.query("update invites set expires_at = now() - interval '1 second' where id = $1", [expiring.inviteId]);
    expect((await h.root.invites.get.query({ inviteId: expiring.inviteId })).status).toBe("expired");
    const expiredList = await h.root.invites.list.query({ organizationId: org.id, status: "expired" });
    expect(expiredList.items.map((i) => i.id)).toEqual([expiring.inviteId]);
    expect(
      await failure(h.client().invites.accept.mutate({ token: await h.acceptToken(expiring.inviteId) })),
    ).toMatchObject({ code: "CONFLICT", reason: "invite_expired" });
    expect(email).toContain("@");
  });

  it("accept re-checks the inviter: a revoked key's invites are not honoured", async () => {
    const { org, key, client } = await makeTenant(h);
    const res = await client.invites.create.mutate({ organizationId: org.id, email: uniqueEmail() });
    const inviteId = "inviteId" in res ? res.inviteId : "";
    const token = await h.acceptToken(inviteId);
    await h.root.apiKeys.revoke.mutate({ apiKeyId: key.id });
    expect(await failure(h.client().invites.accept.mutate({ token }))).toMatchObject({
      code: "FORBIDDEN",
      reason: "inviter_lost_authority",
    });
    expect((await h.root.invites.get.query({ inviteId })).status).toBe("pending");
  });
});

describe("user tokens", () => {
  it("a user invites where admin, never above their role, and loses that power with the membership", async () => {
    const { org, website } = await makeTenant(h);
    const adminEmail = uniqueEmail("admin");
    const added = await h.root.invites.create.mutate({
      type: "website",
      websiteId: website.id,
      method: "direct",
      email: adminEmail,
      role: "admin",
    });
    const userId = "userId" in added ? added.userId : "";
    const { token } = await h.root.users.issueToken.mutate({ userId });
    expect(token).toMatch(/^admit_ut_/);
    const user = h.client(token);

    const ok = await user.invites.create.mutate({ type: "website", websiteId: website.id, email: uniqueEmail() });
    expect(ok).toHaveProperty("inviteId");
    expect(
      await failure(user.invites.create.mutate({ type: "organization", organizationId: org.id, email: uniqueEmail() })),
    ).toMatchObject({ code: "NOT_FOUND" });
    expect(await failure(user.organizations.get.query({ organizationId: org.id }))).toMatchObject({
      code: "FORBIDDEN",
      reason: "api_key_required",
    });

    const invitedByUser = "inviteId" in ok ? ok.inviteId : "";
    const pendingToken = await h.acceptToken(invitedByUser);
    await h.root.members.updateRole.mutate({ type: "website", id: website.id, userId, role: "edit" });
    expect(
      await failure(user.invites.create.mutate({ type: "website", websiteId: website.id, email: uniqueEmail() })),
    ).toMatchObject({ code: "FORBIDDEN", reason: "insufficient_role" });
    expect(await failure(h.client().invites.accept.mutate({ token: pendingToken }))).toMatchObject({
      code: "FORBIDDEN",
      reason: "inviter_lost_authority",
    });
  });

  it("an organization admin is admin of its websites; members.* follow the same rules", async () => {
    const { org, website } = await makeTenant(h);
    const added = await h.root.invites.create.mutate({
      organizationId: org.id,
      method: "direct",
      email: uniqueEmail("orgadmin"),
      role: "admin",
    });
    const { token } = await h.root.users.issueToken.mutate({ userId: "userId" in added ? added.userId : "" });
    const user = h.client(token);
    const m = await user.invites.create.mutate({
      type: "website",
      websiteId: website.id,
      method: "direct",
      email: uniqueEmail(),
      role: "admin",
    });
    const memberId = "userId" in m ? m.userId : "";
    const listed = await user.members.list.query({ type: "website", id: website.id });
    expect(listed.items.map((x) => x.userId)).toContain(memberId);
    expect(
      (await user.members.updateRole.mutate({ type: "website", id: website.id, userId: memberId, role: "read" })).role,
    ).toBe("read");
    expect(await user.members.remove.mutate({ type: "website", id: website.id, userId: memberId })).toEqual({
      success: true,
    });
    expect(
      await failure(user.members.remove.mutate({ type: "website", id: website.id, userId: memberId })),
    ).toMatchObject({ code: "NOT_FOUND", reason: "member_not_found" });
  });

  it("an invitee's user token reads its invitation but may not revoke or resend it; a stranger's finds nothing", async () => {
    const { org, client } = await makeTenant(h);
    const email = uniqueEmail("invitee");
    const other = await makeTenant(h, "Other");
    const invitee = await other.client.invites.create.mutate({ method: "direct", email });
    const stranger = await other.client.invites.create.mutate({ method: "direct", email: uniqueEmail() });
    const tokenOf = async (added: object) =>
      (await h.root.users.issueToken.mutate({ userId: "userId" in added ? String(added.userId) : "" })).token;
    const asInvitee = h.client(await tokenOf(invitee));
    const asStranger = h.client(await tokenOf(stranger));
    const sent = await client.invites.create.mutate({ organizationId: org.id, email });
    const inviteId = "inviteId" in sent ? sent.inviteId : "";
    expect((await asInvitee.invites.get.query({ inviteId })).status).toBe("pending");
    for (const call of [asInvitee.invites.revoke, asInvitee.invites.resend]) {
      expect(await failure(call.mutate({ inviteId }))).toMatchObject({
        code: "FORBIDDEN",
        reason: "insufficient_role",
      });
    }
    for (const call of [asStranger.invites.revoke, asStranger.invites.resend]) {
      expect(await failure(call.mutate({ inviteId }))).toMatchObject({ code: "NOT_FOUND", reason: "invite_not_found" });
    }
    expect((await client.invites.get.query({ inviteId })).status).toBe("pending");
  });

  it("an expired or unknown user token is UNAUTHORIZED; only a global key issues tokens", async () => {
    const { org, client } = await makeTenant(h);
    const added = await h.root.invites.create.mutate({
      organizationId: org.id,
      method: "direct",
      email: uniqueEmail(),
    });
    const userId = "userId" in added ? added.userId : "";
    expect(await failure(client.users.issueToken.mutate({ userId }))).toMatchObject({ code: "FORBIDDEN" });
    const { token } = await h.root.users.issueToken.mutate({ userId, ttlSeconds: 60 });
    await h.db.query("update user_tokens set expires_at = now() - interval '1 second' where user_id = $1", [userId]);
    expect(await failure(h.client(token).invites.list.query({}))).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await failure(h.root.users.issueToken.mutate({ userId: randomUUID() }))).toMatchObject({
      code: "NOT_FOUND",
      reason: "user_not_found",
    });
  });
});

describe("concurrency and secrecy", () => {
  it("64 concurrent accepts of one token: exactly one success, one membership per target", async () => {
    const { org } = await makeTenant(h);
    const sites = [
      (await h.root.websites.create.mutate({ organizationId: org.id, name: "A" })).id,
      (await h.root.websites.create.mutate({ organizationId: org.id, name: "B" })).id,
    ];
    const bulk = await h.root.invites.createBulk.mutate({ method: "email", email: uniqueEmail(), websiteIds: sites });
    const token = await h.acceptToken(bulk.results[0]?.inviteId as string);
    const answers = await Promise.all(Array.from({ length: 64 }, () => post("invites.accept", { token })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(63);
    for (const site of sites) expect(await count(h, "select * from memberships where target_id = $1", [site])).toBe(1);
  });

  it("accept racing revoke: the invite ends in exactly one of the two states", async () => {
    for (let round = 0; round < 10; round++) {
      const { org } = await makeTenant(h);
      const { inviteId } = await emailInvite(org.id);
      const token = await h.acceptToken(inviteId);
      const [accept, revoke] = await Promise.all([
        post("invites.accept", { token }),
        post("invites.revoke", { inviteId }, h.rootKey),
      ]);
      const status = (await h.root.invites.get.query({ inviteId })).status;
      expect(["accepted", "revoked"]).toContain(status);
      if (status === "accepted") {
        expect(accept.status).toBe(200);
        expect(revoke.status).toBe(409);
        expect(await count(h, "select * from memberships where target_id = $1", [org.id])).toBe(1);
      } else {
        expect(revoke.status).toBe(200);
        expect(accept.status).toBe(409);
        expect(await count(h, "select * from memberships where target_id = $1", [org.id])).toBe(0);
      }
    }
  });

  it("no token or secret is stored or logged in clear", async () => {
    const logs: string[] = [];
    const spies = (["log", "info", "warn", "error"] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        logs.push(args.map(String).join(" "));
      }),
    );
    try {
      const { org } = await makeTenant(h);
      const key = await h.root.apiKeys.create.mutate({ kind: "organization", organizationId: org.id, name: "k" });
      const { inviteId } = await emailInvite(org.id);
      const token = await h.acceptToken(inviteId);
      const accepted = await h.client().invites.accept.mutate({ token });
      const { token: userToken } = await h.root.users.issueToken.mutate({ userId: accepted.userId });
      await h
        .client("admit_sk_wrong")
        .invites.list.query({})
        .catch(() => {});
      const secrets = [key.secret, token, userToken];
      const tables = ["api_keys", "deliveries", "invites", "user_tokens", "users"];
      for (const table of tables) {
        const { rows } = await h.db.query(`select t::text as row from ${table} t`);
        const dump = rows.map((r) => r.row).join("\n");
        for (const s of secrets) expect(dump).not.toContain(s);
      }
      for (const s of secrets) expect(logs.join("\n")).not.toContain(s);
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });
});

import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { count, failure, type Harness, makeTenant, snapshot, uniqueEmail, useHarness } from "./harness.ts";

const h = useHarness();

/** A user with a user token; optionally a member of `organizationId` with `role`. */
const userWithToken = async (
  hx: Harness,
  email = uniqueEmail("user"),
  membership?: { organizationId: string; role: any },
) => {
  const org = membership?.organizationId ?? (await makeTenant(hx, "Home")).org.id;
  const added = await hx.root.invites.create.mutate({
    organizationId: org,
    method: "direct",
    email,
    role: membership?.role ?? "read",
  });
  const userId = "userId" in added ? added.userId : "";
  if (!membership) await hx.root.members.remove.mutate({ type: "organization", id: org, userId });
  const { token } = await hx.root.users.issueToken.mutate({ userId });
  return { userId, email, client: hx.client(token) };
};

const codeOf = (url: string | null) => String(url).split("/").at(-1) as string;

describe("organizations.inviteUsers", () => {
  it("adds every email directly, creating accounts as needed", async () => {
    const { org, client } = await makeTenant(h);
    const existing = uniqueEmail("existing");
    await h.root.invites.create.mutate({ organizationId: org.id, method: "direct", email: existing });
    const fresh = [uniqueEmail("a"), uniqueEmail("b")];
    const res = await client.organizations.inviteUsers.mutate({
      organizationId: org.id,
      emails: [` ${fresh[0]?.toUpperCase()}`, existing, fresh[1] as string],
      role: "edit",
    });
    expect(res.users).toHaveLength(3);
    expect(res.invited).toBe(2);
    expect(res).not.toHaveProperty("failedSSOEmails");
    const members = await client.members.list.query({ type: "organization", id: org.id });
    expect(members.items.map((m) => m.email).sort()).toEqual([existing, ...fresh].sort());
  });

  it("SSO members belong to one organization: members elsewhere are added without SSO and reported", async () => {
    const a = await makeTenant(h, "A");
    const b = await makeTenant(h, "B");
    const elsewhere = uniqueEmail("elsewhere");
    const only = uniqueEmail("only");
    await h.root.invites.create.mutate({ organizationId: a.org.id, method: "direct", email: elsewhere });
    const res = await b.client.organizations.inviteUsers.mutate({
      organizationId: b.org.id,
      emails: [elsewhere, only],
      sso: true,
    });
    expect(res.failedSSOEmails).toEqual([elsewhere]);
    const members = await b.client.members.list.query({ type: "organization", id: b.org.id });
    const sso = Object.fromEntries(members.items.map((m) => [m.email, m.sso]));
    expect(sso).toEqual({ [elsewhere]: false, [only]: true });
  });

  it("concurrent calls over the same emails in different orders all succeed (no deadlock)", async () => {
    const a = await makeTenant(h, "A");
    const b = await makeTenant(h, "B");
    for (let i = 0; i < 6; i++) {
      const emails = Array.from({ length: 30 }, () => uniqueEmail("order"));
      // Existing users: each call locks every one of them while it adds its memberships.
      await a.client.organizations.inviteUsers.mutate({ organizationId: a.org.id, emails: emails.slice(0, 15) });
      await b.client.organizations.inviteUsers.mutate({ organizationId: b.org.id, emails: emails.slice(15) });
      const reversed = [...emails].reverse();
      const answers = await Promise.all([
        a.client.organizations.inviteUsers.mutate({ organizationId: a.org.id, emails }),
        b.client.organizations.inviteUsers.mutate({ organizationId: b.org.id, emails: reversed }),
        a.client.organizations.inviteUsers.mutate({ organizationId: a.org.id, emails: reversed }),
        b.client.organizations.inviteUsers.mutate({ organizationId: b.org.id, emails }),
      ]);
      expect(answers[0]?.users).toEqual([...(answers[1]?.users ?? [])].reverse());
      expect((answers[0]?.invited ?? 0) + (answers[2]?.invited ?? 0)).toBe(15);
      expect((answers[1]?.invited ?? 0) + (answers[3]?.invited ?? 0)).toBe(15);
    }
  });

  it("invalid or duplicated emails are BAD_REQUEST naming them, and nothing is written", async () => {
    const { org } = await makeTenant(h);
    const dup = uniqueEmail();
    const before = await snapshot(h);
    const err = await failure(
      h.root.organizations.inviteUsers.mutate({ organizationId: org.id, emails: [dup, "nope", dup.toUpperCase()] }),
    );
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.fieldErrors?.["emails.1"]).toEqual(["Invalid email address"]);
    expect(err.fieldErrors?.["emails.2"]).toEqual(["Duplicate of emails.0"]);
    expect(await snapshot(h)).toEqual(before);
    const tooMany = Array.from({ length: 101 }, () => uniqueEmail());
    expect(
      await failure(h.root.organizations.inviteUsers.mutate({ organizationId: org.id, emails: tooMany })),
    ).toMatchObject({
      code: "BAD_REQUEST",
      fieldErrors: { emails: expect.any(Array) },
    });
  });

  it("another tenant's key gets NOT_FOUND", async () => {
    const mine = await makeTenant(h);
    const theirs = await makeTenant(h, "Other");
    expect(
      await failure(
        mine.client.organizations.inviteUsers.mutate({ organizationId: theirs.org.id, emails: [uniqueEmail()] }),
      ),
    ).toMatchObject({ code: "NOT_FOUND", reason: "organization_not_found" });
  });
});

describe("link invites", () => {
  it("create shows the join url; get, list, update and revoke manage it; the code is stored sealed", async () => {
    const { org, client } = await makeTenant(h);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const link = await client.linkInvites.create.mutate({
      organizationId: org.id,
      role: "comment",
      maxUses: 5,
      expiresAt,
      allowedEmailDomains: ["@Example.com"],
    });
    expect(link).toMatchObject({
      organizationId: org.id,
      role: "comment",
      sso: false,
      maxUses: 5,
      uses: 0,
      disabled: false,
      allowedEmailDomains: ["example.com"],
      expiresAt,
    });
    expect(link.url).toMatch(new RegExp(`^http://admit\\.test/join/${org.id}/lnk_[A-Za-z0-9_-]{43}$`));
    const { rows } = await h.db.query("select t::text as row from link_invites t where id = $1", [link.id]);
    expect(rows[0].row).not.toContain(codeOf(link.url));

    const got = await client.linkInvites.get.query({ organizationId: org.id, inviteId: link.id });
    expect(got).toEqual(link);
    const updated = await client.linkInvites.update.mutate({
      organizationId: org.id,
      inviteId: link.id,
      role: "edit",
      maxUses: null,
      disabled: true,
    });
    expect(updated).toMatchObject({ role: "edit", maxUses: null, disabled: true });
    const listed = await client.linkInvites.list.query({ organizationId: org.id });
    expect(listed.items.map((l) => l.id)).toEqual([link.id]);
    expect(await client.linkInvites.revoke.mutate({ organizationId: org.id, inviteId: link.id })).toEqual({
      success: true,
    });
    expect(await failure(client.linkInvites.get.query({ organizationId: org.id, inviteId: link.id }))).toMatchObject({
      code: "NOT_FOUND",
      reason: "link_invite_not_found",
    });
  });

  it("an organization key of another tenant sees NOT_FOUND for every link operation", async () => {
    const mine = await makeTenant(h);
    const theirs = await makeTenant(h, "Other");
    const link = await theirs.client.linkInvites.create.mutate({ organizationId: theirs.org.id });
    const ref = { organizationId: theirs.org.id, inviteId: link.id };
    for (const call of [
      () => mine.client.linkInvites.create.mutate({ organizationId: theirs.org.id }),
      () => mine.client.linkInvites.list.query({ organizationId: theirs.org.id }),
      () => mine.client.linkInvites.get.query(ref),
      () => mine.client.linkInvites.update.mutate({ ...ref, disabled: true }),
      () => mine.client.linkInvites.revoke.mutate(ref),
    ]) {
      expect(await failure(call())).toMatchObject({ code: "NOT_FOUND", reason: "organization_not_found" });
    }
    expect(
      await failure(mine.client.linkInvites.get.query({ organizationId: mine.org.id, inviteId: link.id })),
    ).toMatchObject({
      code: "NOT_FOUND",
      reason: "link_invite_not_found",
    });
  });

  it("only organization admins manage links, and never above their own role", async () => {
    const { org } = await makeTenant(h);
    const reader = await userWithToken(h, uniqueEmail(), { organizationId: org.id, role: "edit" });
    expect(await failure(reader.client.linkInvites.create.mutate({ organizationId: org.id }))).toMatchObject({
      code: "FORBIDDEN",
      reason: "insufficient_role",
    });
    const admin = await userWithToken(h, uniqueEmail(), { organizationId: org.id, role: "admin" });
    const link = await admin.client.linkInvites.create.mutate({ organizationId: org.id, role: "admin" });
    expect(link.role).toBe("admin");
  });

  it("join adds a membership with the link's role; twice is already_member and counts no use", async () => {
    const { org, client } = await makeTenant(h);
    const link = await client.linkInvites.create.mutate({ organizationId: org.id, role: "review", sso: true });
    const user = await userWithToken(h);
    const joined = await user.client.linkInvites.join.mutate({ organizationId: org.id, inviteId: codeOf(link.url) });
    expect(joined).toEqual({ organizationId: org.id, userId: user.userId, role: "review", sso: true });
    expect(
      await failure(user.client.linkInvites.join.mutate({ organizationId: org.id, inviteId: codeOf(link.url) })),
    ).toMatchObject({ code: "CONFLICT", reason: "already_member" });
    expect((await client.linkInvites.get.query({ organizationId: org.id, inviteId: link.id })).uses).toBe(1);
    expect(
      await failure(client.linkInvites.join.mutate({ organizationId: org.id, inviteId: codeOf(link.url) })),
    ).toMatchObject({ code: "FORBIDDEN", reason: "user_token_required" });
    expect(
      await failure(user.client.linkInvites.join.mutate({ organizationId: org.id, inviteId: link.id })),
    ).toMatchObject({ code: "NOT_FOUND", reason: "link_invite_not_found" });
  });

  it("join is refused when disabled, expired, used up or for another email domain", async () => {
    const { org, client } = await makeTenant(h);
    const user = await userWithToken(h, `ann.${randomUUID().slice(0, 8)}@example.com`);
    const join = (url: string | null) =>
      user.client.linkInvites.join.mutate({ organizationId: org.id, inviteId: codeOf(url) });

    const disabled = await client.linkInvites.create.mutate({ organizationId: org.id });
    await client.linkInvites.update.mutate({ organizationId: org.id, inviteId: disabled.id, disabled: true });
    expect(await failure(join(disabled.url))).toMatchObject({ code: "FORBIDDEN", reason: "link_invite_disabled" });

    const expired = await client.linkInvites.create.mutate({ organizationId: org.id });
    await h.db.query("update link_invites set expires_at = now() - interval '1 second' where id = $1", [expired.id]);
    expect(await failure(join(expired.url))).toMatchObject({ code: "CONFLICT", reason: "link_invite_expired" });

    const usedUp = await client.linkInvites.create.mutate({ organizationId: org.id, maxUses: 1 });
    await (await userWithToken(h)).client.linkInvites.join.mutate({
      organizationId: org.id,
      inviteId: codeOf(usedUp.url),
    });
    expect(await failure(join(usedUp.url))).toMatchObject({ code: "CONFLICT", reason: "link_invite_used_up" });

    const elsewhere = await client.linkInvites.create.mutate({
      organizationId: org.id,
      allowedEmailDomains: ["acme.io"],
    });
    expect(await failure(join(elsewhere.url))).toMatchObject({ code: "FORBIDDEN", reason: "email_domain_not_allowed" });
    const allowed = await client.linkInvites.create.mutate({
      organizationId: org.id,
      allowedEmailDomains: ["example.com"],
    });
    await join(allowed.url);
    expect(
      await count(h, "select * from memberships where target_id = $1 and user_id = $2", [org.id, user.userId]),
    ).toBe(1);

    expect(
      await failure(client.linkInvites.update.mutate({ organizationId: org.id, inviteId: usedUp.id, maxUses: 0 })),
    ).toMatchObject({ code: "BAD_REQUEST", fieldErrors: { maxUses: expect.any(Array) } });
    expect(
      await failure(
        client.linkInvites.create.mutate({
          organizationId: org.id,
          expiresAt: new Date(Date.now() - 1000).toISOString(),
        }),
      ),
    ).toMatchObject({ code: "BAD_REQUEST", fieldErrors: { expiresAt: expect.any(Array) } });
  });

  it("100 users joining a link with maxUses 10 at once: exactly 10 memberships and uses = 10", async () => {
    const { org, client } = await makeTenant(h);
    const link = await client.linkInvites.create.mutate({ organizationId: org.id, maxUses: 10 });
    const users = [];
    for (let i = 0; i < 100; i++) {
      const added = await h.root.invites.create.mutate({
        organizationId: (await makeTenantLite()).id,
        method: "direct",
        email: uniqueEmail(),
      });
      const { token } = await h.root.users.issueToken.mutate({ userId: "userId" in added ? added.userId : "" });
      users.push(token);
    }
    const answers = await Promise.all(
      users.map((token) =>
        fetch(`${h.url}/trpc/linkInvites.join`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ organizationId: org.id, inviteId: codeOf(link.url) }),
        }).then((r) => r.status),
      ),
    );
    expect(answers.filter((s) => s === 200)).toHaveLength(10);
    expect(answers.filter((s) => s === 409)).toHaveLength(90);
    expect(
      await count(h, "select * from memberships where target_type = 'organization' and target_id = $1", [org.id]),
    ).toBe(10);
    expect((await client.linkInvites.get.query({ organizationId: org.id, inviteId: link.id })).uses).toBe(10);
  });

  it("an update racing joins never lets uses exceed maxUses", async () => {
    const { org, client } = await makeTenant(h);
    const link = await client.linkInvites.create.mutate({ organizationId: org.id, maxUses: 20 });
    const tokens = [];
    for (let i = 0; i < 30; i++) tokens.push((await userWithToken(h)).client);
    const joins = tokens.map((c) =>
      c.linkInvites.join.mutate({ organizationId: org.id, inviteId: codeOf(link.url) }).then(
        () => 1,
        () => 0,
      ),
    );
    const update = client.linkInvites.update.mutate({ organizationId: org.id, inviteId: link.id, maxUses: 5 }).then(
      () => "updated",
      (e) => e.data?.reason as string,
    );
    const [joined, outcome] = await Promise.all([Promise.all(joins), update]);
    const final = await client.linkInvites.get.query({ organizationId: org.id, inviteId: link.id });
    const members = await count(h, "select * from memberships where target_id = $1", [org.id]);
    expect(members).toBe(final.uses);
    expect(joined.reduce((a, b) => a + b, 0)).toBe(final.uses);
    expect(final.uses).toBeLessThanOrEqual(final.maxUses ?? 0);
    expect(["updated", "invalid_input"]).toContain(outcome);
  });

  it("one user joining SSO links of two organizations at once, or joining while invited with SSO: one SSO membership", async () => {
    const a = await makeTenant(h, "A");
    const b = await makeTenant(h, "B");
    const linkA = await a.client.linkInvites.create.mutate({ organizationId: a.org.id, sso: true });
    const linkB = await b.client.linkInvites.create.mutate({ organizationId: b.org.id, sso: true });
    const ssoMemberships = (userId: string) =>
      count(h, "select * from memberships where user_id = $1 and target_type = 'organization' and sso", [userId]);
    for (let i = 0; i < 8; i++) {
      // A user with no organization yet: a member of a website only.
      const person = async () => {
        const email = uniqueEmail("sso");
        const added = await h.root.invites.create.mutate({
          type: "website",
          websiteId: a.website.id,
          method: "direct",
          email,
        });
        const userId = "userId" in added ? added.userId : "";
        const { token } = await h.root.users.issueToken.mutate({ userId });
        return { email, userId, client: h.client(token) };
      };
      const twoLinks = await person();
      await Promise.all([
        twoLinks.client.linkInvites.join.mutate({ organizationId: a.org.id, inviteId: codeOf(linkA.url) }),
        twoLinks.client.linkInvites.join.mutate({ organizationId: b.org.id, inviteId: codeOf(linkB.url) }),
      ]);
      expect(await ssoMemberships(twoLinks.userId)).toBe(1);
      const linkAndInvite = await person();
      await Promise.all([
        linkAndInvite.client.linkInvites.join.mutate({ organizationId: a.org.id, inviteId: codeOf(linkA.url) }),
        b.client.organizations.inviteUsers.mutate({
          organizationId: b.org.id,
          emails: [linkAndInvite.email],
          sso: true,
        }),
      ]);
      expect(await ssoMemberships(linkAndInvite.userId)).toBe(1);
    }
  });
});

let lite: { id: string } | undefined;
/** One shared home organization for throwaway users. */
const makeTenantLite = async () => {
  lite ??= await h.root.organizations.create.mutate({ name: "Home of many" });
  return lite;
};

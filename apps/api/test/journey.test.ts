import { describe, expect, it } from "vitest";
import { failure, makeTenant, snapshot, uniqueEmail, useHarness } from "./harness.ts";

const h = useHarness();
const APP = "https://app.acme.example";

const branded = async (name = "Acme") => {
  const t = await makeTenant(h, name);
  await t.client.organizations.update.mutate({
    organizationId: t.org.id,
    displayName: name,
    primaryColor: "#0f766e",
    supportEmail: "help@acme.example",
    allowedRedirectOrigins: [APP],
    appUrl: `${APP}/home`,
  });
  return t;
};

const form = (body: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(body).toString(),
});

describe("organizations.update", () => {
  it("sets the settings that organizations.get then shows; bad values are named; the quota needs a global key", async () => {
    const { org, client } = await makeTenant(h);
    const updated = await client.organizations.update.mutate({
      organizationId: org.id,
      displayName: "Acme",
      logoUrl: "https://cdn.acme.example/logo.png",
      primaryColor: "#0F766E",
      supportEmail: "help@acme.example",
      locale: "de",
      allowedRedirectOrigins: [APP],
      appUrl: "http://localhost:5173/",
    });
    expect(await client.organizations.get.query({ organizationId: org.id })).toEqual(updated);
    expect(updated).toMatchObject({ primaryColor: "#0f766e", locale: "de", appUrl: "http://localhost:5173/" });

    const bad = await failure(
      client.organizations.update.mutate({
        organizationId: org.id,
        logoUrl: "http://cdn.acme.example/logo.png",
        primaryColor: "teal",
        allowedRedirectOrigins: ["https://app.example/path"],
        appUrl: "javascript:alert(1)",
      }),
    );
    expect(bad.code).toBe("BAD_REQUEST");
    expect(Object.keys(bad.fieldErrors ?? {}).sort()).toEqual([
      "allowedRedirectOrigins.0",
      "appUrl",
      "logoUrl",
      "primaryColor",
    ]);
    expect(await client.organizations.get.query({ organizationId: org.id })).toEqual(updated);
    const locale = await failure(client.organizations.update.mutate({ organizationId: org.id, locale: "xx" as "en" }));
    expect(locale.fieldErrors).toHaveProperty("locale");

    expect(
      await failure(client.organizations.update.mutate({ organizationId: org.id, emailInvitesPerHour: 10 })),
    ).toMatchObject({ code: "FORBIDDEN", reason: "global_key_required" });
    expect(await h.root.organizations.update.mutate({ organizationId: org.id, emailInvitesPerHour: 10 })).toMatchObject(
      { emailInvitesPerHour: 10 },
    );
  });
});

describe("redirectUrl", () => {
  it("an open redirect is refused by name and writes nothing, over tRPC and REST", async () => {
    const { org, website, key, client } = await branded();
    for (const redirectUrl of [
      "https://evil.example/",
      "javascript:alert(1)",
      "//evil.example",
      `${APP}@evil.example/`,
      "https://user:pw@app.acme.example/",
      "http://app.acme.example/",
    ]) {
      const before = await snapshot(h);
      const error = await failure(
        client.invites.create.mutate({ type: "website", websiteId: website.id, email: uniqueEmail(), redirectUrl }),
      );
      expect(error, redirectUrl).toMatchObject({ code: "BAD_REQUEST", reason: "invalid_input" });
      expect(Object.keys(error.fieldErrors ?? {}), redirectUrl).toEqual(["redirectUrl"]);
      const bulk = await failure(
        client.invites.createBulk.mutate({
          method: "email",
          email: uniqueEmail(),
          websiteIds: [website.id],
          redirectUrl,
        }),
      );
      expect(Object.keys(bulk.fieldErrors ?? {}), redirectUrl).toEqual(["redirectUrl"]);
      const rest = await fetch(`${h.url}/v1/invites`, {
        method: "POST",
        headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
        body: JSON.stringify({ organization_id: org.id, email: uniqueEmail(), redirect_url: redirectUrl }),
      });
      expect(rest.status, redirectUrl).toBe(400);
      const body = (await rest.json()) as { error: { fieldErrors: Record<string, string[]> } };
      expect(Object.keys(body.error.fieldErrors)).toEqual(["redirect_url"]);
      expect(await snapshot(h), redirectUrl).toEqual(before);
    }
  });

  it("accept answers the invite's redirectUrl, else the organization's appUrl", async () => {
    const { org, website, client } = await branded();
    const first = await client.invites.create.mutate({
      type: "website",
      websiteId: website.id,
      email: uniqueEmail(),
      redirectUrl: `${APP}/sites/42?tab=team`,
      locale: "fr",
    });
    const token = await h.acceptToken("inviteId" in first ? first.inviteId : "");
    expect(await h.root.invites.accept.mutate({ token })).toMatchObject({ redirectUrl: `${APP}/sites/42?tab=team` });
    const second = await client.invites.create.mutate({ organizationId: org.id, email: uniqueEmail() });
    const token2 = await h.acceptToken("inviteId" in second ? second.inviteId : "");
    expect(await h.root.invites.accept.mutate({ token: token2 })).toMatchObject({ redirectUrl: `${APP}/home` });
  });
});

describe("the pages", () => {
  it("speak the invite's language, else the organization's, else the browser's; carry nosniff and a strict CSP", async () => {
    const { org, client } = await branded();
    const res = await client.invites.create.mutate({ organizationId: org.id, email: uniqueEmail(), locale: "fr" });
    const token = await h.acceptToken("inviteId" in res ? res.inviteId : "");
    const page = await fetch(`${h.url}/invites/accept?token=${encodeURIComponent(token)}`, {
      headers: { "accept-language": "de" },
    });
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/style-src 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain("unsafe-inline");
    const html = await page.text();
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain("Accepter l’invitation");
    expect(html).not.toContain("<script");

    const other = await client.invites.create.mutate({ organizationId: org.id, email: uniqueEmail() });
    const token2 = await h.acceptToken("inviteId" in other ? other.inviteId : "");
    const german = await fetch(`${h.url}/invites/accept?token=${encodeURIComponent(token2)}`, {
      headers: { "accept-language": "it, de-AT;q=0.8, en;q=0.5" },
    });
    expect(await german.text()).toContain('<html lang="de">');
    await h.root.organizations.update.mutate({ organizationId: org.id, locale: "en" });
    const english = await fetch(`${h.url}/invites/accept?token=${encodeURIComponent(token2)}`, {
      headers: { "accept-language": "de" },
    });
    expect(await english.text()).toContain('<html lang="en">');
  });

  it("after accepting, name the places granted and continue to redirectUrl (button and meta refresh)", async () => {
    const { website, client } = await branded();
    const res = await client.invites.create.mutate({
      type: "website",
      websiteId: website.id,
      email: uniqueEmail(),
      redirectUrl: `${APP}/welcome?a=1&b=2`,
    });
    const token = await h.acceptToken("inviteId" in res ? res.inviteId : "");
    const done = await fetch(`${h.url}/invites/accept`, form({ token }));
    expect(done.status).toBe(200);
    const html = await done.text();
    expect(html).toContain(`You now have access to ${website.name}.`);
    expect(html).toContain(`<meta http-equiv="refresh" content="4;url=${APP}/welcome?a=1&amp;b=2">`);
    expect(html).toContain(`href="${APP}/welcome?a=1&amp;b=2"`);
  });

  it("escape hostile names and keep long ones in the page", async () => {
    const t = await makeTenant(h);
    const evil = `<img src=x onerror=alert(1)>"'&${"W".repeat(160)}`;
    await t.client.organizations.update.mutate({ organizationId: t.org.id, displayName: evil });
    const site = await h.root.websites.create.mutate({
      organizationId: t.org.id,
      name: "</title><script>x()</script>",
    });
    const res = await t.client.invites.create.mutate({ type: "website", websiteId: site.id, email: uniqueEmail() });
    const token = await h.acceptToken("inviteId" in res ? res.inviteId : "");
    const html = await (await fetch(`${h.url}/invites/accept?token=${encodeURIComponent(token)}`)).text();
    expect(html).not.toMatch(/<img src=x|<script/);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;");
    expect(html).toContain("&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;");
  });

  it("a link invite's url serves its page; previewing counts no use; unknown and malformed links say so", async () => {
    const { org, client } = await branded();
    const link = await client.linkInvites.create.mutate({ organizationId: org.id, role: "edit", maxUses: 3 });
    expect((await client.linkInvites.list.query({ organizationId: org.id })).items[0]?.url).toBe(link.url);
    const path = String(link.url).replace("http://admit.test", "");
    const code = path.split("/").at(-1) as string;
    const page = await fetch(`${h.url}${path}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Join Acme");
    expect(html).toContain("Your access: can edit");
    expect(html).toContain("3 uses left");
    expect(html).toContain(`href="${APP}/home?admit_organization_id=${org.id}&amp;admit_link_code=${code}"`);
    const preview = await h.client().linkInvites.preview.query({ organizationId: org.id, code });
    expect(preview).toMatchObject({ role: "edit", usable: true, remainingUses: 3, organization: { name: "Acme" } });
    expect((await client.linkInvites.get.query({ organizationId: org.id, inviteId: link.id })).uses).toBe(0);

    expect((await fetch(`${h.url}/join/${org.id}/lnk_unknown`)).status).toBe(404);
    const malformed = await fetch(`${h.url}/join/not-a-uuid/%E0%A4%A`);
    expect(malformed.status).toBe(404);
    expect(await malformed.text()).toContain("This invite link is not valid");

    await client.linkInvites.update.mutate({ organizationId: org.id, inviteId: link.id, disabled: true });
    expect(await (await fetch(`${h.url}${path}`)).text()).toContain("turned off");
  });

  it("links made before codes were kept have no url", async () => {
    const { org, client } = await makeTenant(h);
    const link = await client.linkInvites.create.mutate({ organizationId: org.id });
    await h.db.query("update link_invites set code_sealed = null where id = $1", [link.id]);
    expect((await client.linkInvites.get.query({ organizationId: org.id, inviteId: link.id })).url).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { makeTenant, uniqueEmail, useHarness } from "./harness.ts";

const h = useHarness();

describe("the accept page behind the email's link", () => {
  it("previews without consuming; the Accept button accepts; names are escaped", async () => {
    const { org } = await makeTenant(h, "<script>alert(1)</script>");
    const res = await h.root.invites.create.mutate({ organizationId: org.id, email: uniqueEmail(), role: "edit" });
    const inviteId = "inviteId" in res ? res.inviteId : "";
    const token = await h.acceptToken(inviteId);
    const page = await fetch(`${h.url}/invites/accept?token=${encodeURIComponent(token)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain("&lt;script&gt;");
    expect(html).not.toContain("<script>");
    expect(html).toContain('action="/invites/accept"');
    await fetch(`${h.url}/invites/accept?token=${encodeURIComponent(token)}`);
    expect((await h.root.invites.get.query({ inviteId })).status).toBe("pending");

    const accepted = await fetch(`${h.url}/invites/accept`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, firstName: "Kim" }).toString(),
    });
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toContain("You’re in");
    expect((await h.root.invites.get.query({ inviteId })).status).toBe("accepted");

    const again = await fetch(`${h.url}/invites/accept?token=${encodeURIComponent(token)}`);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("This invitation was already used");
  });

  it("a name the API refuses brings the form back with a 400 about the name, not a dead link", async () => {
    const { org } = await makeTenant(h);
    const res = await h.root.invites.create.mutate({ organizationId: org.id, email: uniqueEmail() });
    const inviteId = "inviteId" in res ? res.inviteId : "";
    const token = await h.acceptToken(inviteId);
    const post = (form: Record<string, string>) =>
      fetch(`${h.url}/invites/accept`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token, ...form }).toString(),
      });
    const forms: Array<Record<string, string>> = [{ firstName: "x".repeat(101) }, { lastName: "a\u0000b" }];
    for (const form of forms) {
      const refused = await post(form);
      expect(refused.status).toBe(400);
      const html = await refused.text();
      expect(html).toContain("each part may have up to 100 ordinary characters");
      expect(html).toContain('action="/invites/accept"');
      expect(html).not.toContain("not valid");
      expect((await h.root.invites.get.query({ inviteId })).status).toBe("pending");
    }
    expect((await post({ firstName: "Kim" })).status).toBe(200);
    expect((await h.root.invites.get.query({ inviteId })).status).toBe("accepted");
  });

  it("decline from the page, and an unknown token says so", async () => {
    const { org } = await makeTenant(h);
    const res = await h.root.invites.create.mutate({ organizationId: org.id, email: uniqueEmail() });
    const inviteId = "inviteId" in res ? res.inviteId : "";
    const token = await h.acceptToken(inviteId);
    const declined = await fetch(`${h.url}/invites/decline`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(declined.status).toBe(200);
    expect((await h.root.invites.get.query({ inviteId })).status).toBe("declined");
    const unknown = await fetch(`${h.url}/invites/accept?token=inv_nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("not valid");
  });
});

import type { OutgoingDelivery } from "@admit/domain";
import { describe, expect, it } from "vitest";
import { classifyPostmarkError } from "../mailers/MailerPostmark.ts";
import { classifySmtpError } from "../mailers/MailerSmtp.ts";
import { renderInvitation } from "./invitation.ts";
import { plain } from "./text.ts";

const at = new Date("2026-11-29T10:00:00Z");
const acme = {
  name: "Acme",
  logoUrl: "https://cdn.acme.example/logo.png",
  primaryColor: "#0f766e",
  supportEmail: "help@acme.example",
};

const delivery = (over: Partial<OutgoingDelivery> = {}): OutgoingDelivery => ({
  id: "0190f0c0-0000-7000-8000-000000000001",
  email: "ann@example.com",
  token: "inv_abc-DEF_123",
  inviterName: "Ann Lee",
  kind: "invite",
  attempts: 0,
  referenced: true,
  firstName: null,
  locale: null,
  brand: null,
  organizationIds: [],
  targets: [{ type: "website", id: "w1", name: "Blog", organizationName: "Acme", role: "edit", expiresAt: at }],
  ...over,
});

const render = (over: Partial<OutgoingDelivery> = {}) =>
  renderInvitation(delivery(over), { publicUrl: "https://admit.example" });
const link = "https://admit.example/invites/accept?token=inv_abc-DEF_123";

describe("the invitation", () => {
  it("names the inviter and the exact place, the role in words, and links once to the accept page", () => {
    const m = render({ brand: acme, firstName: "Kim" });
    expect(m.subject).toBe("Ann Lee invited you to the Blog website at Acme");
    expect(m.to).toBe("ann@example.com");
    expect(m.tag).toBe("invitation");
    expect(m.text.split(link)).toHaveLength(2);
    // The button and the fallback address: the same single link, twice in the HTML.
    expect(m.html.split(`href="${link}"`)).toHaveLength(3);
    expect(m.text).toContain("Hi Kim,");
    expect(m.text).toContain("- Blog (Acme) · Website · can edit");
    expect(m.text).toContain("This invitation expires on November 29, 2026 at 10:00 AM UTC.");
    expect(m.text).toContain("because Ann Lee invited ann@example.com to Acme");
    expect(m.text).toContain("Questions? Write to help@acme.example.");
  });

  it("carries the organization's logo, colour (with a legible button text) and support address", () => {
    const m = render({ brand: acme });
    expect(m.html).toContain('<img src="https://cdn.acme.example/logo.png" alt="Acme"');
    expect(m.html).toContain('bgcolor="#0f766e"');
    expect(m.html).toContain("color:#ffffff");
    expect(m.html).toContain('href="mailto:help@acme.example"');
    const light = render({ brand: { ...acme, primaryColor: "#fde047" } });
    expect(light.html).toContain('bgcolor="#fde047"');
    expect(light.html).toContain("color:#111827;text-decoration:none");
    // The copyable link is text on white: a light accent would not read there.
    expect(light.html).not.toContain("color:#fde047");
    expect(light.html).toContain("color:#1d4ed8;word-break:break-all");
    // A light accent gets an edge, so that the button still shows where it is on white.
    expect(light.html).toContain("background:#fde047;border:1px solid #6b7280;");
    expect(m.html).toContain('style="border-radius:8px;background:#0f766e;"');
    // Without branding: the name as text, the default colour, no support line.
    const plainOne = render();
    expect(plainOne.html).not.toContain("<img");
    expect(plainOne.text).not.toContain("Questions?");
  });

  it("uses a bulletproof layout: tables, inline styles, no stylesheet or script", () => {
    const m = render({ brand: acme });
    expect(m.html).toContain('role="presentation"');
    expect(m.html).not.toMatch(/<style|<script|<link/i);
    expect(m.html).toContain('<html lang="en"');
  });

  it.each([
    ["organization", "Ann Lee invited you to join Acme", "- Acme · Organization · can view"],
    ["group", "Ann Lee invited you to the Partners group", "- Partners · Group · can view"],
  ] as const)("names a %s target", (type, subject, line) => {
    const name = type === "group" ? "Partners" : "Acme";
    const m = render({
      targets: [
        { type, id: "t1", name, organizationName: type === "group" ? null : "Acme", role: "read", expiresAt: at },
      ],
    });
    expect(m.subject).toBe(subject);
    expect(m.text).toContain(line);
  });

  it("counts several places, at their organization when they share one", () => {
    const site = (id: string, name: string, org: string) =>
      ({ type: "website", id, name, organizationName: org, role: "comment", expiresAt: at }) as const;
    const shared = render({ kind: "resend", targets: [site("w1", "Blog", "Acme"), site("w2", "Shop", "Acme")] });
    expect(shared.subject).toBe("Ann Lee invited you to 2 places at Acme");
    expect(shared.tag).toBe("invitation-resend");
    expect(shared.text).toContain("Your access to these 2 places:");
    const mixed = render({
      targets: [
        { type: "group", id: "g1", name: "Portfolio", organizationName: null, role: "edit", expiresAt: at },
        site("w1", "Blog", "Beta"),
        site("w2", "Shop", "Beta"),
      ],
    });
    expect(mixed.subject).toBe("Ann Lee invited you to 3 places");
    expect(mixed.text).toContain("- Shop (Beta) · Website · can comment");
  });

  it.each([
    [
      "fr",
      "Ann Lee vous invite sur le site Blog chez Acme",
      "Cette invitation expire le 29 novembre 2026 à 10:00 UTC.",
      "peut modifier",
      "Bonjour Kim,",
    ],
    [
      "de",
      "Ann Lee hat Sie zur Website Blog bei Acme eingeladen",
      "Diese Einladung läuft am 29. November 2026 um 10:00 UTC ab.",
      "kann bearbeiten",
      "Hallo Kim,",
    ],
  ] as const)("speaks %s when the invite or its organization says so", (locale, subject, expiry, role, hello) => {
    const m = render({ locale, firstName: "Kim", brand: acme });
    expect(m.html).toContain(`<html lang="${locale}"`);
    expect(m.subject).toBe(subject);
    expect(m.text).toContain(expiry);
    expect(m.text).toContain(role);
    expect(m.text).toContain(hello);
    // French puts a no-break space before a colon, in the text part's labels too.
    expect(m.text).toContain(locale === "fr" ? "Votre accès\u00a0:\n" : "Ihr Zugang:\n");
  });

  it("cuts long names and keeps the subject one line", () => {
    const long = "Ω".repeat(300);
    const m = render({
      inviterName: long,
      targets: [{ type: "website", id: "w1", name: long, organizationName: long, role: "edit", expiresAt: at }],
    });
    expect(Array.from(m.subject).length).toBeLessThanOrEqual(200);
    expect(m.subject).toContain("…");
    expect(m.text).not.toContain("Ω".repeat(81));
  });

  it("makes names one plain line, drops invisible characters and cuts long ones", () => {
    expect(plain("Evil\r\nBcc: x@y.z\t\u0000\u202eend", 80)).toBe("Evil Bcc: x@y.z end");
    expect(plain("a\u2028b\u200bc", 80)).toBe("a b c");
    expect(plain("x".repeat(100), 10)).toBe(`${"x".repeat(9)}…`);
    expect(plain("😀".repeat(5), 3)).toBe("😀😀…");
  });

  it("never lets a name inject a header or markup", () => {
    const evil = '<img src=x onerror="alert(1)">\r\nBcc: victim@example.com';
    const m = render({
      inviterName: evil,
      firstName: "<b>Kim</b>",
      brand: { ...acme, name: "</title><script>alert(1)</script>" },
      targets: [{ type: "website", id: "w1", name: evil, organizationName: "x", role: "edit", expiresAt: at }],
    });
    expect(m.subject).not.toMatch(/[\r\n]/);
    expect(m.html).not.toMatch(/<img src=x|<script|<b>Kim/);
    expect(m.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(m.html).toContain("&lt;/title&gt;&lt;script&gt;");
    expect(m.text).toContain("Hi <b>Kim</b>,");
  });
});

describe("failure classes", () => {
  it("SMTP: a 5xx to the recipient or the message is permanent; the rest is temporary", () => {
    const smtp = (responseCode: number | undefined, command: string, code = "EENVELOPE") =>
      classifySmtpError(
        Object.assign(new Error("failed"), { responseCode, command, code, response: `${responseCode} no` }),
      );
    expect(smtp(550, "RCPT TO").permanent).toBe(true);
    expect(smtp(554, "DATA", "EMESSAGE").permanent).toBe(true);
    expect(smtp(451, "RCPT TO").permanent).toBe(false);
    expect(smtp(535, "AUTH PLAIN", "EAUTH").permanent).toBe(false);
    expect(smtp(553, "MAIL FROM").permanent).toBe(false);
    expect(smtp(undefined, "CONN", "ECONNECTION")).toMatchObject({
      permanent: false,
      reason: "smtp ECONNECTION: failed",
    });
  });

  it("Postmark: errors 300 and 406 are permanent; throttling, server and network errors are temporary", async () => {
    const { Errors } = await import("postmark");
    expect(classifyPostmarkError(new Errors.InactiveRecipientsError("inactive", 406, 422)).permanent).toBe(true);
    expect(classifyPostmarkError(new Errors.InvalidEmailRequestError("bad", 300, 422)).permanent).toBe(true);
    expect(classifyPostmarkError(new Errors.ApiInputError("no sender signature", 400, 422)).permanent).toBe(false);
    expect(classifyPostmarkError(new Errors.RateLimitExceededError("slow down", 0, 429)).permanent).toBe(false);
    expect(classifyPostmarkError(new Errors.ServiceUnavailablerError("down", 0, 503)).permanent).toBe(false);
    expect(classifyPostmarkError(new Errors.PostmarkError("fetch failed"))).toMatchObject({
      permanent: false,
      reason: "postmark network error: fetch failed",
    });
  });
});

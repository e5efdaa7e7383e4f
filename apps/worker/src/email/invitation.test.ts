import type { OutgoingDelivery } from "@admit/domain";
import { describe, expect, it } from "vitest";
import { classifyPostmarkError } from "../mailers/MailerPostmark.ts";
import { classifySmtpError } from "../mailers/MailerSmtp.ts";
import { renderInvitation } from "./invitation.ts";
import { plain } from "./text.ts";

const delivery = (over: Partial<OutgoingDelivery> = {}): OutgoingDelivery => ({
  id: "0190f0c0-0000-7000-8000-000000000001",
  email: "ann@example.com",
  token: "inv_abc-DEF_123",
  inviterName: "Mo from Acme",
  kind: "invite",
  attempts: 0,
  referenced: true,
  organizationIds: [],
  targets: [
    {
      type: "organization",
      id: "o1",
      name: "Acme",
      organizationName: "Acme",
      role: "read",
      expiresAt: new Date("2026-11-29T10:00:00Z"),
    },
  ],
  ...over,
});

describe("the invitation", () => {
  it("names the inviter and the organization, lists the targets and links once to the accept page", () => {
    const m = renderInvitation(delivery(), { publicUrl: "https://admit.example" });
    expect(m.subject).toBe("Mo from Acme invited you to join Acme");
    expect(m.to).toBe("ann@example.com");
    expect(m.tag).toBe("invitation");
    const link = "https://admit.example/invites/accept?token=inv_abc-DEF_123";
    expect(m.text.split(link)).toHaveLength(2);
    expect(m.html.split(`href="${link}"`)).toHaveLength(2);
    expect(m.text).toContain("- the organization Acme, as read");
    expect(m.text).toContain("expires on 29 November 2026 (UTC)");
  });

  it("names the first place and how many more when targets span several", () => {
    const at = new Date("2026-11-29T10:00:00Z");
    const m = renderInvitation(
      delivery({
        kind: "resend",
        targets: [
          { type: "group", id: "g1", name: "Portfolio", organizationName: null, role: "edit", expiresAt: at },
          { type: "website", id: "w1", name: "Blog", organizationName: "Beta", role: "edit", expiresAt: at },
          { type: "website", id: "w2", name: "Shop", organizationName: "Beta", role: "edit", expiresAt: at },
        ],
      }),
      { publicUrl: "https://admit.example" },
    );
    expect(m.subject).toBe("Mo from Acme invited you to join Portfolio and 1 more");
    expect(m.tag).toBe("invitation-resend");
    expect(m.text).toContain("You are invited to these 3 places:");
    expect(m.text).toContain("- the website Shop (Beta), as edit");
  });

  it("makes names one plain line, drops invisible characters and cuts long ones", () => {
    expect(plain("Evil\r\nBcc: x@y.z\t\u0000\u202eend", 80)).toBe("Evil Bcc: x@y.z end");
    expect(plain("a\u2028b\u200bc", 80)).toBe("a b c");
    expect(plain("x".repeat(100), 10)).toBe(`${"x".repeat(9)}…`);
    expect(plain("😀".repeat(5), 3)).toBe("😀😀…");
  });

  it("escapes names in the HTML body", () => {
    const m = renderInvitation(delivery({ inviterName: '<img src=x onerror="alert(1)">' }), {
      publicUrl: "https://admit.example",
    });
    expect(m.html).not.toContain("<img");
    expect(m.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(m.html.match(/<a\s/g)).toHaveLength(1);
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

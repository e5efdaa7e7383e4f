import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTenant, PUBLIC_URL, settled, uniqueEmail, useWorld, waitFor } from "./harness.ts";
import { type SmtpCapture, startSmtpCapture } from "./smtp.ts";

/**
 * The invitee's journey in a real browser (Debian's chromium through playwright-core): the email
 * from the in-process SMTP server, the pages behind its link, and the product the person lands
 * in. Screenshots of every page and of the email, at desktop and phone width, go to
 * `test-artifacts/journey/` (not committed) for people to look at.
 */
const w = useWorld();
const ARTIFACTS = resolve(import.meta.dirname, "../test-artifacts/journey");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 375, height: 812 } } as const;

let smtp: SmtpCapture;
let browser: Browser;
let product: { server: Server; origin: string };

/** A stand-in for the organization's product: any path answers a page saying where it is; /logo.svg a logo. */
const startProduct = async () => {
  const server = createServer((req, res) => {
    if (req.url === "/logo.svg") {
      res.writeHead(200, { "content-type": "image/svg+xml" });
      return res.end(
        `<svg xmlns="http://www.w3.org/2000/svg" width="132" height="40" viewBox="0 0 132 40"><rect width="40" height="40" rx="10" fill="#0f766e"/><path d="M11 29 20 10l9 19" stroke="#fff" stroke-width="4" fill="none" stroke-linejoin="round"/><text x="50" y="28" font-family="Arial,Helvetica,sans-serif" font-size="22" font-weight="700" fill="#0f172a">Acme</text></svg>`,
      );
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      `<!doctype html><title>Acme app</title><h1>Acme app</h1><p id="path">${req.url?.replace(/[<>&"]/g, "")}</p>`,
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  smtp = await startSmtpCapture();
  product = await startProduct();
  await w.startWorker({ MAIL_TRANSPORT: "smtp", SMTP_URL: smtp.url, WORKER_CONCURRENCY: "2" });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => product?.server.close(r));
  await smtp?.close();
});

const text = async (locator: Locator) => (await locator.textContent())?.trim();

/** Waits for the page (after a click or a redirect) to show this main heading. */
const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name, exact: true }).waitFor();

/** Requests to the product's pages (its logo aside). */
const inProduct = (url: URL) => url.origin === product.origin && url.pathname !== "/logo.svg";

/** How far the page is wider than the window: anything above 0 scrolls sideways. */
const overflow = async (page: Page) =>
  Number(await page.evaluate("document.documentElement.scrollWidth - window.innerWidth"));

/** Screenshots of what the page shows, at both widths; neither may scroll sideways. */
const shoot = async (page: Page, name: string) => {
  for (const [label, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    expect(await overflow(page), `${name} at ${label} width scrolls sideways`).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/${name}-${label}.png`, fullPage: true });
  }
  await page.setViewportSize(WIDTHS.desktop);
};

/** An organization with its branding, app and allowed redirect origin. */
const brandedTenant = async (settings: { locale?: "en" | "fr" | "de" } = {}) => {
  const t = await makeTenant(w, "Acme");
  await t.client.organizations.update.mutate({
    organizationId: t.org.id,
    displayName: "Acme",
    logoUrl: `${product.origin}/logo.svg`,
    primaryColor: "#0f766e",
    supportEmail: "help@acme.example",
    allowedRedirectOrigins: [product.origin],
    appUrl: `${product.origin}/home`,
    ...settings,
  });
  const blog = await w.root.websites.create.mutate({ organizationId: t.org.id, name: "Blog" });
  return { ...t, blog };
};

const invite = async (
  t: Awaited<ReturnType<typeof brandedTenant>>,
  input: { websiteId?: string; redirectUrl?: string; locale?: "en" | "fr" | "de"; firstName?: string } = {},
) => {
  const email = uniqueEmail("kim");
  const res = await t.client.invites.create.mutate({
    email,
    role: "edit",
    firstName: input.firstName ?? "Kim",
    ...(input.websiteId ? { type: "website", websiteId: input.websiteId } : { organizationId: t.org.id }),
    ...(input.redirectUrl ? { redirectUrl: input.redirectUrl } : {}),
    ...(input.locale ? { locale: input.locale } : {}),
  });
  if (!("inviteId" in res) || !res.inviteId) throw new Error("expected an inviteId");
  await settled(w, res.inviteId);
  const mail = await waitFor("the email", () => smtp.to(email)[0]);
  const href = /href="([^"]*\/invites\/accept\?token=[^"]+)"/.exec(String(mail.parsed.html))?.[1];
  if (!href) throw new Error("no accept link in the email");
  // The email links to PUBLIC_URL; the test's server listens elsewhere.
  const link = href.replace(/&amp;/g, "&").replace(PUBLIC_URL, w.api.url);
  return { inviteId: res.inviteId, email, mail, link };
};

describe("the invitee's journey in a browser", () => {
  it("email → accept page → accept → the browser ends at the invite's redirectUrl", async () => {
    const t = await brandedTenant();
    const redirectUrl = `${product.origin}/welcome?from=invite`;
    const { inviteId, mail, link } = await invite(t, { websiteId: t.blog.id, redirectUrl });
    expect(mail.parsed.subject).toBe("Acme team invited you to the Blog website at Acme");

    const page = await browser.newPage({ viewport: WIDTHS.desktop });
    await page.setContent(String(mail.parsed.html));
    await shoot(page, "01-email");

    await page.goto(link);
    await heading(page, "You’re invited to the Blog website at Acme");
    expect(await page.getAttribute("html", "lang")).toBe("en");
    expect(await text(page.locator(".role").first())).toBe("can edit");
    await shoot(page, "02-invite");
    // Opening the page (as a mail scanner would) consumed nothing.
    expect((await t.client.invites.get.query({ inviteId })).status).toBe("pending");

    // Hold the product's answer so the success page can be looked at before it moves on.
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    await page.route(inProduct, async (route) => {
      await held;
      await route.continue().catch(() => {});
    });
    await page.getByLabel("First name").fill("Kim");
    await page.getByLabel("Last name").fill("Lee");
    await page.getByRole("button", { name: "Accept invitation" }).click();
    await heading(page, "You’re in");
    expect(await text(page.locator(".lead"))).toBe("You now have access to Blog.");
    expect(await page.getByRole("link", { name: "Continue to Acme" }).getAttribute("href")).toBe(redirectUrl);
    await shoot(page, "03-done");
    release();
    await page.unroute(inProduct);
    // The automatic redirect (a meta refresh, allowed by the strict CSP) lands on redirectUrl.
    await page.waitForURL(redirectUrl, { timeout: 30_000 });
    expect(await text(page.locator("#path"))).toBe("/welcome?from=invite");
    expect((await t.client.invites.get.query({ inviteId })).status).toBe("accepted");

    // The same link again: already used.
    await page.goto(link);
    await heading(page, "This invitation was already used");
    await shoot(page, "05-used");
    await page.close();
  });

  it("without a redirectUrl the Continue button goes to the organization's appUrl", async () => {
    const t = await brandedTenant();
    const { link } = await invite(t);
    const page = await browser.newPage({ viewport: WIDTHS.phone });
    await page.route(inProduct, () => {}); // never answers: the page stays until the click
    await page.goto(link);
    await page.getByRole("button", { name: "Accept invitation" }).click();
    await heading(page, "You’re in");
    await page.unroute(inProduct);
    await page.getByRole("link", { name: "Continue to Acme" }).click();
    await page.waitForURL(`${product.origin}/home`, { timeout: 30_000 });
    await page.close();
  });

  it("decline: the email's page asks once more, then says it is done", async () => {
    const t = await brandedTenant();
    const { inviteId, link } = await invite(t, { redirectUrl: `${product.origin}/x` });
    const page = await browser.newPage({ viewport: WIDTHS.desktop });
    await page.goto(link);
    await page.getByRole("link", { name: "Decline" }).click();
    await heading(page, "Decline this invitation?");
    await shoot(page, "06-decline");
    expect((await t.client.invites.get.query({ inviteId })).status).toBe("pending");
    await page.getByRole("button", { name: "Yes, decline" }).click();
    await heading(page, "Invitation declined");
    await shoot(page, "07-declined");
    expect((await t.client.invites.get.query({ inviteId })).status).toBe("declined");
    expect(page.url()).not.toContain(product.origin);
    await page.close();
  });

  it("an expired link and an unknown link say so, in the reader's language", async () => {
    const t = await brandedTenant();
    const { inviteId, link } = await invite(t);
    await w.db.query("update invites set expires_at = now() - interval '1 minute' where id = $1", [inviteId]);
    const page = await browser.newPage({ viewport: WIDTHS.desktop });
    await page.goto(link);
    await heading(page, "This invitation has expired");
    await shoot(page, "08-expired");

    const german = await browser.newPage({ viewport: WIDTHS.desktop, locale: "de-DE" });
    await german.setExtraHTTPHeaders({ "accept-language": "de-DE,de;q=0.9,en;q=0.5" });
    await german.goto(`${w.api.url}/invites/accept?token=inv_unknown`);
    expect(await german.getAttribute("html", "lang")).toBe("de");
    await heading(german, "Dieser Link kann nicht verwendet werden");
    await shoot(german, "09-unknown-de");
    await german.close();
    await page.close();
  });

  it("speaks the invite's language: French email and pages", async () => {
    const t = await brandedTenant({ locale: "de" });
    const { mail, link } = await invite(t, { locale: "fr", websiteId: t.blog.id });
    expect(mail.parsed.subject).toContain("vous invite sur le site");
    const page = await browser.newPage({ viewport: WIDTHS.desktop });
    await page.setContent(String(mail.parsed.html));
    await shoot(page, "10-email-fr");
    await page.goto(link);
    expect(await page.getAttribute("html", "lang")).toBe("fr");
    await page.getByRole("button", { name: "Accepter l’invitation" }).waitFor();
    await shoot(page, "11-invite-fr");
    await page.close();
  });

  it("long names, a light colour and a logo that does not load hold at phone width", async () => {
    const t = await brandedTenant({ locale: "de" });
    const long = "Donaudampfschifffahrtsgesellschaftskapitänsvereinigung International";
    await t.client.organizations.update.mutate({
      organizationId: t.org.id,
      displayName: long,
      logoUrl: `${product.origin}/missing.png`,
      primaryColor: "#fde047",
    });
    const site = await w.root.websites.create.mutate({
      organizationId: t.org.id,
      name: "Kundenportalverwaltungsoberflächenkonfigurationsassistent",
    });
    const { mail, link } = await invite(t, { websiteId: site.id, firstName: "Maximiliane-Josephine" });
    const page = await browser.newPage({ viewport: WIDTHS.desktop });
    await page.setContent(String(mail.parsed.html));
    await shoot(page, "14-email-long-de");
    // The product's pages never answer (the pages stay); the "logo" is one of them, not an image.
    await page.route(inProduct, (route) => (route.request().resourceType() === "image" ? route.continue() : undefined));
    await page.goto(link);
    await heading(page, `Sie sind zur Website ${site.name} bei ${long} eingeladen`);
    await shoot(page, "15-invite-long-de");
    await page.getByRole("button", { name: "Einladung annehmen" }).click();
    await heading(page, "Geschafft");
    await shoot(page, "16-done-long-de");
    const created = await t.client.linkInvites.create.mutate({ organizationId: t.org.id, role: "read" });
    await page.goto((created.url as string).replace(PUBLIC_URL, w.api.url));
    await heading(page, `${long} beitreten`);
    await shoot(page, "17-link-long-de");
    await t.client.linkInvites.update.mutate({ organizationId: t.org.id, inviteId: created.id, disabled: true });
    await page.goto((created.url as string).replace(PUBLIC_URL, w.api.url));
    await heading(page, "Dieser Link kann nicht verwendet werden");
    await page.getByText("Dieser Einladungslink ist derzeit deaktiviert.").waitFor();
    await shoot(page, "18-link-disabled-de");
    await page.close();
  });

  it("a link invite's url opens a page that hands the person to the app with the code", async () => {
    const t = await brandedTenant();
    const created = await t.client.linkInvites.create.mutate({
      organizationId: t.org.id,
      role: "comment",
      maxUses: 25,
      expiresAt: new Date(Date.now() + 5 * 86_400_000).toISOString(),
    });
    const url = created.url as string;
    // Managers can read the url again.
    expect((await t.client.linkInvites.get.query({ organizationId: t.org.id, inviteId: created.id })).url).toBe(url);
    const page = await browser.newPage({ viewport: WIDTHS.desktop });
    await page.goto(url.replace(PUBLIC_URL, w.api.url));
    await heading(page, "Join Acme");
    await page.getByText("Your access: can comment").waitFor();
    await page.getByText("25 uses left").waitFor();
    await shoot(page, "12-link");
    await page.getByRole("link", { name: "Continue to Acme" }).click();
    await page.waitForURL(/\/home\?/, { timeout: 30_000 });
    const landed = new URL(page.url());
    expect(landed.searchParams.get("admit_organization_id")).toBe(t.org.id);
    expect(landed.searchParams.get("admit_link_code")).toBe(decodeURIComponent(url.split("/").at(-1) as string));
    // Previewing never counted a use.
    expect((await t.client.linkInvites.get.query({ organizationId: t.org.id, inviteId: created.id })).uses).toBe(0);

    // Without an app URL, the page says whom to ask.
    await t.client.organizations.update.mutate({ organizationId: t.org.id, appUrl: null });
    await page.goto(url.replace(PUBLIC_URL, w.api.url));
    await page.getByRole("link", { name: "help@acme.example" }).waitFor();
    await shoot(page, "13-link-no-app");
    await page.close();
  });
});

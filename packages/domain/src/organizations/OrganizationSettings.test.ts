import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { Forbidden, InvalidInput, NotFound } from "../errors/Errors.ts";
import { acceptInvite } from "../invites/InviteLifecycle.ts";
import { createBulkInvite, createInvite } from "../invites/Invites.ts";
import { createLinkInvite, joinLinkInvite, previewLinkInvite } from "../links/LinkInvites.ts";
import * as InMemory from "../testing/InMemory.ts";
import { organizationKey, rootKey, userPrincipal } from "../testing/Principals.ts";
import { inTestStore, refusal } from "../testing/support.ts";
import { checkRedirectUrl, parseColor, parseOrigin, parseWebUrl, updateOrganization } from "./OrganizationSettings.ts";

const APP = "https://app.acme.example";

describe("settings rules", () => {
  it("URLs are https; plain http only on the local machine; never with a user name", () => {
    expect(parseWebUrl("https://cdn.example/logo.png").ok).toBe(true);
    expect(parseWebUrl("http://localhost:5173/x").ok).toBe(true);
    expect(parseWebUrl("http://127.0.0.1:8080").ok).toBe(true);
    for (const bad of [
      "http://app.example",
      "javascript:alert(1)",
      "//evil.example",
      "/relative",
      "ftp://files.example",
      "https://app.example@evil.example",
      "https://user:pw@app.example",
      "https://app.example\\@evil.example",
      " https://app.example",
      "data:text/html,hi",
    ]) {
      expect(parseWebUrl(bad).ok, bad).toBe(false);
    }
  });

  it("origins are bare origins, kept normalized", () => {
    expect(parseOrigin("https://App.Example")).toEqual({ ok: true, value: "https://app.example" });
    expect(parseOrigin("https://app.example:8443/")).toEqual({ ok: true, value: "https://app.example:8443" });
    expect(parseOrigin("https://app.example/path").ok).toBe(false);
    expect(parseOrigin("https://app.example?x=1").ok).toBe(false);
    expect(parseOrigin("https://*.example").ok).toBe(false);
  });

  it("colours are hex, kept as #rrggbb", () => {
    expect(parseColor("#0F766E")).toEqual({ ok: true, value: "#0f766e" });
    expect(parseColor("#abc")).toEqual({ ok: true, value: "#aabbcc" });
    for (const bad of ["red", "#12345", "0f766e", "#0f766e;background:url(x)", "rgb(0,0,0)"]) {
      expect(parseColor(bad).ok, bad).toBe(false);
    }
  });

  it("a redirect must lead to an allowed origin: no other origin, scheme or disguise gets through", () => {
    const allowed = [APP];
    expect(checkRedirectUrl(`${APP}/welcome?x=1#top`, allowed)).toEqual({ ok: true, value: `${APP}/welcome?x=1#top` });
    for (const bad of [
      "https://evil.example/",
      "javascript:alert(document.cookie)",
      "//evil.example/x",
      `${APP}@evil.example`,
      `https://app.acme.example.evil.example/`,
      `https://evil.example/${APP}`,
      "http://app.acme.example/",
      "https://app.acme.example:444/",
      `https:\\\\evil.example`,
      "https://evil.example\\@app.acme.example",
    ]) {
      expect(checkRedirectUrl(bad, allowed).ok, bad).toBe(false);
    }
    expect(checkRedirectUrl(`${APP}/x`, []).ok).toBe(false);
  });
});

describe("organizations.update", () => {
  it.effect("sets and clears settings; every bad field is named and nothing is written", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization({ name: "Acme Inc" });
        const key = organizationKey(org.id);
        const updated = yield* updateOrganization(key, {
          organizationId: org.id,
          displayName: " Acme ",
          logoUrl: "https://cdn.acme.example/logo.png",
          primaryColor: "#0F766E",
          supportEmail: " Help@Acme.example ",
          locale: "fr",
          allowedRedirectOrigins: [APP, `${APP}/`],
          appUrl: `${APP}/home`,
        });
        expect(updated).toMatchObject({
          name: "Acme Inc",
          displayName: "Acme",
          primaryColor: "#0f766e",
          supportEmail: "help@acme.example",
          locale: "fr",
          allowedRedirectOrigins: [APP],
          appUrl: `${APP}/home`,
          emailInvitesPerHour: null,
        });
        expect(yield* updateOrganization(key, { organizationId: org.id, logoUrl: null })).toMatchObject({
          logoUrl: null,
          displayName: "Acme",
        });

        const error = yield* refusal(
          updateOrganization(key, {
            organizationId: org.id,
            logoUrl: "http://cdn.example/logo.png",
            primaryColor: "teal",
            supportEmail: "nope",
            locale: "xx",
            allowedRedirectOrigins: ["https://ok.example", "https://bad.example/path"],
            appUrl: "javascript:alert(1)",
          }),
        );
        expect(error).toBeInstanceOf(InvalidInput);
        expect(Object.keys((error as InvalidInput).fieldErrors).sort()).toEqual([
          "allowedRedirectOrigins.1",
          "appUrl",
          "locale",
          "logoUrl",
          "primaryColor",
          "supportEmail",
        ]);
      }),
    ),
  );

  it.effect("the email quota needs a global key; other tenants' organizations do not exist", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization();
        const other = yield* InMemory.seedOrganization();
        const quota = { organizationId: org.id, emailInvitesPerHour: 50 };
        expect(yield* refusal(updateOrganization(organizationKey(org.id), quota))).toEqual(
          new Forbidden({ reason: "global_key_required" }),
        );
        expect(yield* updateOrganization(rootKey, quota)).toMatchObject({ emailInvitesPerHour: 50 });
        expect(
          yield* refusal(updateOrganization(organizationKey(other.id), { organizationId: org.id, name: "Mine" })),
        ).toEqual(new NotFound({ reason: "organization_not_found" }));
      }),
    ),
  );
});

describe("redirect after accepting", () => {
  const tenant = Effect.gen(function* () {
    const org = yield* InMemory.seedOrganization({
      settings: { allowedRedirectOrigins: [APP], appUrl: `${APP}/home` },
    });
    const site = yield* InMemory.seedWebsite(org.id);
    return { org, site };
  });
  const latestToken = Effect.map(InMemory.snapshot, (s) => s.deliveries.at(-1)?.token as string);

  it.effect("an invite's redirectUrl on another origin, javascript:, //host or userinfo is refused by name", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org, site } = yield* tenant;
        for (const redirectUrl of [
          "https://evil.example/",
          "javascript:alert(1)",
          "//evil.example",
          `${APP}@evil.example/`,
          "https://user@app.acme.example/",
        ]) {
          const error = yield* refusal(
            createInvite(organizationKey(org.id), {
              type: "website",
              websiteId: site.id,
              method: "email",
              email: "ann@example.com",
              role: "read",
              redirectUrl,
            }),
          );
          expect(error, redirectUrl).toBeInstanceOf(InvalidInput);
          expect(Object.keys((error as InvalidInput).fieldErrors), redirectUrl).toEqual(["redirectUrl"]);
          const bulk = yield* refusal(
            createBulkInvite(rootKey, {
              method: "email",
              email: "ann@example.com",
              role: "read",
              websiteIds: [site.id],
              redirectUrl,
            }),
          );
          expect(Object.keys((bulk as InvalidInput).fieldErrors), redirectUrl).toEqual(["redirectUrl"]);
        }
      }),
    ),
  );

  it.effect("accept answers the invite's redirectUrl, else the organization's appUrl", () =>
    inTestStore(
      Effect.gen(function* () {
        const { org, site } = yield* tenant;
        yield* createInvite(rootKey, {
          type: "website",
          websiteId: site.id,
          method: "email",
          email: "ann@example.com",
          role: "edit",
          redirectUrl: `${APP}/sites/1`,
          locale: "de",
        });
        expect(yield* acceptInvite({ token: yield* latestToken })).toMatchObject({ redirectUrl: `${APP}/sites/1` });
        yield* createInvite(rootKey, {
          type: "organization",
          organizationId: org.id,
          method: "email",
          email: "bo@example.com",
          role: "read",
        });
        expect(yield* acceptInvite({ token: yield* latestToken })).toMatchObject({ redirectUrl: `${APP}/home` });
      }),
    ),
  );
});

describe("linkInvites.preview", () => {
  it.effect("shows the organization and the link's terms, never counts a use, and hides other tenants' links", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization({
          name: "Acme Inc",
          settings: { displayName: "Acme", appUrl: `${APP}/home`, locale: "de" },
        });
        const other = yield* InMemory.seedOrganization();
        const { code } = yield* createLinkInvite(rootKey, {
          organizationId: org.id,
          role: "comment",
          sso: false,
          maxUses: 1,
        });
        const before = yield* InMemory.snapshot;
        const preview = yield* previewLinkInvite({ organizationId: org.id, code });
        expect(preview).toMatchObject({
          organization: { id: org.id, name: "Acme", appUrl: `${APP}/home`, locale: "de" },
          role: "comment",
          expiresAt: null,
          remainingUses: 1,
          usable: true,
          reason: null,
        });
        expect(yield* InMemory.snapshot).toEqual(before);
        expect(yield* Effect.flip(previewLinkInvite({ organizationId: other.id, code }))).toEqual(
          new NotFound({ reason: "link_invite_not_found" }),
        );

        const user = yield* InMemory.seedUser({ email: "kim@example.com" });
        yield* joinLinkInvite(userPrincipal(user), { organizationId: org.id, inviteId: code });
        expect(yield* previewLinkInvite({ organizationId: org.id, code })).toMatchObject({
          remainingUses: 0,
          usable: false,
          reason: "link_invite_used_up",
        });
      }),
    ),
  );
});

import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { TestClock } from "effect/testing";
import type { Principal } from "../access/Principal.ts";
import { AlreadyMember, Conflict, Forbidden, InvalidInput, NotFound } from "../errors/Errors.ts";
import { MembershipRepository } from "../members/MembershipRepository.ts";
import { TokenGenerator } from "../shared/TokenGenerator.ts";
import * as Tenancy from "../tenancy/Tenancy.ts";
import * as InMemory from "../testing/InMemory.ts";
import { globalKey, organizationKey, rootKey, userPrincipal } from "../testing/Principals.ts";
import { inTestStore, MISSING, refusal, seedStaff } from "../testing/support.ts";
import type { LinkInviteRecord } from "./LinkInviteRepository.ts";
import {
  createLinkInvite,
  getLinkInvite,
  joinLinkInvite,
  linkRefusal,
  listLinkInvites,
  normalizeDomains,
  revokeLinkInvite,
  updateLinkInvite,
} from "./LinkInvites.ts";

const HOUR = 3_600_000;
const KEY_A = "00000000-0000-4000-a000-0000000000a1";
const page = { cursor: null, limit: 50 };

/** Two tenants; in A an admin, an editor, and an admin of a website only. */
const world = Effect.gen(function* () {
  const orgA = yield* InMemory.seedOrganization({ name: "A" });
  const orgB = yield* InMemory.seedOrganization({ name: "B" });
  const siteA = yield* InMemory.seedWebsite(orgA.id);
  const { admin, editor, siteAdmin } = yield* seedStaff(orgA.id, siteA.id, "a.example");
  return {
    orgA,
    orgB,
    keyA: organizationKey(orgA.id, KEY_A),
    adminId: admin.id,
    admin: userPrincipal(admin),
    editor: userPrincipal(editor),
    siteAdmin: userPrincipal(siteAdmin),
  };
});

const create = (
  principal: Principal,
  organizationId: string,
  extra: Partial<Parameters<typeof createLinkInvite>[1]> = {},
) => createLinkInvite(principal, { organizationId, role: "read", sso: false, ...extra });

/** A user with a token, as `users.issueToken` would make one. */
const joiner = (email: string) => Effect.map(InMemory.seedUser({ email }), userPrincipal);
const userIdOf = (principal: Principal): string => (principal.kind === "user" ? principal.userId : "");

const orgMemberships = (organizationId: string) =>
  Effect.map(InMemory.snapshot, (s) =>
    s.memberships.filter((m) => m.target.type === "organization" && m.target.id === organizationId),
  );

describe("linkInvites.create", () => {
  it.effect("answers the join code; it is stored hashed and sealed, never in clear", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        const { link, code } = yield* create(rootKey, orgA.id, {
          role: "edit",
          sso: true,
          maxUses: 5,
          expiresAt: new Date(HOUR),
        });
        expect(link).toEqual({
          id: expect.any(String),
          organizationId: orgA.id,
          role: "edit",
          sso: true,
          expiresAt: new Date(HOUR),
          maxUses: 5,
          uses: 0,
          allowedEmailDomains: [],
          disabled: false,
          createdBy: { kind: "root", id: null, name: "Admit" },
          createdAt: expect.any(Date),
          code,
        });
        expect(code).toMatch(/^lnk_/);
        expect(code).not.toBe(link.id);
        const s = yield* InMemory.snapshot;
        expect(s.linkInvites.map((l) => l.codeHash)).toEqual([(yield* TokenGenerator).hash(code)]);
        expect(JSON.stringify(s)).not.toContain(`"${code}"`);
        // Managers read the code again (the API turns it into the link's url).
        expect((yield* getLinkInvite(rootKey, { organizationId: orgA.id, inviteId: link.id })).code).toBe(code);
      }),
    ),
  );

  it.effect("email domains are stored lower-case, without a leading @, once each", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        const { link } = yield* create(rootKey, orgA.id, {
          allowedEmailDomains: [" @Example.COM ", "example.com", "Sub.Example.org"],
        });
        expect(link.allowedEmailDomains).toEqual(["example.com", "sub.example.org"]);
        expect(normalizeDomains(["@A.io", "a.io "])).toEqual(["a.io"]);
      }),
    ),
  );

  it.effect("an expiry that is not in the future is InvalidInput on expiresAt and writes nothing", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        yield* TestClock.adjust(HOUR);
        for (const expiresAt of [new Date(0), new Date(HOUR)]) {
          const error = yield* refusal(create(rootKey, orgA.id, { expiresAt }));
          expect(error).toBeInstanceOf(InvalidInput);
          expect(error).toMatchObject({ fieldErrors: { expiresAt: ["Must be in the future"] } });
        }
        const { link } = yield* create(rootKey, orgA.id, { expiresAt: new Date(HOUR + 1) });
        expect(link.expiresAt).toEqual(new Date(HOUR + 1));
      }),
    ),
  );

  it.effect("keys of another organization get NotFound like a missing organization", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, keyA } = yield* world;
        const foreign = yield* refusal(create(keyA, orgB.id));
        const missing = yield* refusal(create(keyA, MISSING));
        expect(foreign).toBeInstanceOf(NotFound);
        expect(foreign).toEqual(missing);
        expect(foreign).toMatchObject({ reason: "organization_not_found" });
        const own = yield* create(keyA, orgA.id);
        expect(own.link.createdBy).toEqual({ kind: "api_key", id: KEY_A, name: "Organization test key" });
        expect((yield* create(globalKey(), orgB.id)).link.organizationId).toBe(orgB.id);
      }),
    ),
  );

  it.effect("a user must be admin of the organization, whatever role the link grants", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, adminId, admin, editor, siteAdmin } = yield* world;
        for (const role of ["read", "edit", "admin"] as const) {
          expect(yield* refusal(create(editor, orgA.id, { role }))).toMatchObject({
            _tag: "Forbidden",
            reason: "insufficient_role",
          });
        }
        expect(yield* refusal(create(siteAdmin, orgA.id))).toMatchObject({
          _tag: "NotFound",
          reason: "organization_not_found",
        });
        expect(yield* refusal(create(admin, orgB.id))).toMatchObject({
          _tag: "NotFound",
          reason: "organization_not_found",
        });
        const { link } = yield* create(admin, orgA.id, { role: "admin" });
        expect(link.createdBy).toEqual({ kind: "user", id: adminId, name: "admin@a.example" });
      }),
    ),
  );
});

describe("linkInvites.get, list, update, revoke", () => {
  it.effect("get answers a link of the organization; another organization's link or a revoked one is not found", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, keyA, admin, editor } = yield* world;
        const { link } = yield* InMemory.seedLinkInvite(orgA.id, { role: "edit" });
        const other = yield* InMemory.seedLinkInvite(orgB.id);
        const revoked = yield* InMemory.seedLinkInvite(orgA.id, { revoked: true });
        for (const principal of [rootKey, keyA, admin]) {
          expect(yield* getLinkInvite(principal, { organizationId: orgA.id, inviteId: link.id })).toEqual(link);
        }
        for (const inviteId of [other.link.id, revoked.link.id, MISSING]) {
          expect(yield* Effect.flip(getLinkInvite(rootKey, { organizationId: orgA.id, inviteId }))).toMatchObject({
            _tag: "NotFound",
            reason: "link_invite_not_found",
          });
        }
        expect(
          yield* Effect.flip(getLinkInvite(keyA, { organizationId: orgB.id, inviteId: other.link.id })),
        ).toMatchObject({
          _tag: "NotFound",
          reason: "organization_not_found",
        });
        expect(yield* Effect.flip(getLinkInvite(editor, { organizationId: orgA.id, inviteId: link.id }))).toMatchObject(
          {
            _tag: "Forbidden",
            reason: "insufficient_role",
          },
        );
      }),
    ),
  );

  it.effect("list pages the organization's unrevoked links, newest first", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, keyA, editor } = yield* world;
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          ids.push((yield* InMemory.seedLinkInvite(orgA.id)).link.id);
          yield* TestClock.adjust(1000);
        }
        yield* InMemory.seedLinkInvite(orgA.id, { revoked: true });
        yield* InMemory.seedLinkInvite(orgB.id);
        const first = yield* listLinkInvites(keyA, { organizationId: orgA.id, cursor: null, limit: 2 });
        expect(first.items.map((l) => l.id)).toEqual([ids[2], ids[1]]);
        const second = yield* listLinkInvites(keyA, { organizationId: orgA.id, cursor: first.nextCursor, limit: 2 });
        expect(second).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });

        expect(yield* Effect.flip(listLinkInvites(keyA, { organizationId: orgB.id, ...page }))).toMatchObject({
          _tag: "NotFound",
          reason: "organization_not_found",
        });
        expect(yield* Effect.flip(listLinkInvites(editor, { organizationId: orgA.id, ...page }))).toMatchObject({
          _tag: "Forbidden",
          reason: "insufficient_role",
        });
      }),
    ),
  );

  it.effect("update changes only what is given; null clears expiry and limit", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, admin } = yield* world;
        const { link } = yield* InMemory.seedLinkInvite(orgA.id, {
          role: "read",
          maxUses: 10,
          expiresAt: new Date(HOUR),
          sso: true,
        });
        const ref = { organizationId: orgA.id, inviteId: link.id };
        const updated = yield* updateLinkInvite(admin, { ...ref, role: "admin", disabled: true });
        expect(updated).toEqual({ ...link, role: "admin", disabled: true });
        const cleared = yield* updateLinkInvite(admin, { ...ref, expiresAt: null, maxUses: null });
        expect(cleared).toEqual({ ...link, role: "admin", disabled: true, expiresAt: null, maxUses: null });
        expect(yield* getLinkInvite(admin, ref)).toEqual(cleared);
      }),
    ),
  );

  it.effect("update refuses maxUses below the uses so far, and a past expiry, writing nothing", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        const { link } = yield* InMemory.seedLinkInvite(orgA.id, { maxUses: 10, uses: 3 });
        const ref = { organizationId: orgA.id, inviteId: link.id };
        const below = yield* refusal(updateLinkInvite(rootKey, { ...ref, maxUses: 2 }));
        expect(below).toBeInstanceOf(InvalidInput);
        expect(below).toMatchObject({ fieldErrors: { maxUses: ["Already used 3 times"] } });
        yield* TestClock.adjust(HOUR);
        expect(yield* refusal(updateLinkInvite(rootKey, { ...ref, expiresAt: new Date(HOUR) }))).toMatchObject({
          _tag: "InvalidInput",
          fieldErrors: { expiresAt: ["Must be in the future"] },
        });
        expect(yield* updateLinkInvite(rootKey, { ...ref, maxUses: 3 })).toMatchObject({ maxUses: 3, uses: 3 });
      }),
    ),
  );

  it.effect("update needs a manager of that organization, and a link that is there", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, keyA, editor } = yield* world;
        const { link } = yield* InMemory.seedLinkInvite(orgA.id);
        const foreign = yield* InMemory.seedLinkInvite(orgB.id);
        expect(
          yield* refusal(
            updateLinkInvite(keyA, { organizationId: orgB.id, inviteId: foreign.link.id, disabled: true }),
          ),
        ).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
        expect(
          yield* refusal(
            updateLinkInvite(keyA, { organizationId: orgA.id, inviteId: foreign.link.id, disabled: true }),
          ),
        ).toMatchObject({ _tag: "NotFound", reason: "link_invite_not_found" });
        expect(
          yield* refusal(updateLinkInvite(editor, { organizationId: orgA.id, inviteId: link.id, role: "read" })),
        ).toMatchObject({ _tag: "Forbidden", reason: "insufficient_role" });
        expect(
          yield* updateLinkInvite(keyA, { organizationId: orgA.id, inviteId: link.id, disabled: true }),
        ).toMatchObject({ disabled: true });
      }),
    ),
  );

  it.effect("revoke hides the link from every later call; the code no longer joins", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, keyA, editor } = yield* world;
        const { link, code } = yield* InMemory.seedLinkInvite(orgA.id);
        const ref = { organizationId: orgA.id, inviteId: link.id };
        expect(yield* refusal(revokeLinkInvite(editor, ref))).toMatchObject({
          _tag: "Forbidden",
          reason: "insufficient_role",
        });
        expect(yield* refusal(revokeLinkInvite(keyA, { organizationId: orgB.id, inviteId: link.id }))).toMatchObject({
          _tag: "NotFound",
          reason: "organization_not_found",
        });
        expect(yield* revokeLinkInvite(keyA, ref)).toEqual({ success: true });
        const gone = { _tag: "NotFound", reason: "link_invite_not_found" };
        expect(yield* Effect.flip(getLinkInvite(keyA, ref))).toMatchObject(gone);
        expect(yield* Effect.flip(updateLinkInvite(keyA, { ...ref, disabled: false }))).toMatchObject(gone);
        expect(yield* Effect.flip(revokeLinkInvite(keyA, ref))).toMatchObject(gone);
        expect((yield* listLinkInvites(keyA, { organizationId: orgA.id, ...page })).items).toEqual([]);
        const user = yield* joiner("ann@example.com");
        expect(yield* refusal(joinLinkInvite(user, { organizationId: orgA.id, inviteId: code }))).toMatchObject(gone);
      }),
    ),
  );
});

describe("linkInvites.join", () => {
  it.effect("adds an organization membership with the link's role and SSO, and counts one use", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        const { link, code } = yield* InMemory.seedLinkInvite(orgA.id, { role: "comment", sso: true, maxUses: 2 });
        const ann = yield* joiner("ann@example.com");
        const joined = yield* joinLinkInvite(ann, { organizationId: orgA.id, inviteId: code });
        expect(joined).toEqual({ organizationId: orgA.id, userId: userIdOf(ann), role: "comment", sso: true });
        expect((yield* orgMemberships(orgA.id)).find((m) => m.userId === userIdOf(ann))).toMatchObject({
          role: "comment",
          sso: true,
        });
        expect(yield* getLinkInvite(rootKey, { organizationId: orgA.id, inviteId: link.id })).toMatchObject({
          uses: 1,
        });
      }),
    ),
  );

  it.effect("only a user token may join", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, keyA } = yield* world;
        const { code } = yield* InMemory.seedLinkInvite(orgA.id);
        for (const principal of [rootKey, globalKey(), keyA]) {
          expect(yield* refusal(joinLinkInvite(principal, { organizationId: orgA.id, inviteId: code }))).toMatchObject({
            _tag: "Forbidden",
            reason: "user_token_required",
          });
        }
      }),
    ),
  );

  it.effect("the link id, an unknown code or another organization's code do not join", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB } = yield* world;
        const { link } = yield* InMemory.seedLinkInvite(orgA.id);
        const foreign = yield* InMemory.seedLinkInvite(orgB.id);
        const ann = yield* joiner("ann@example.com");
        for (const inviteId of [link.id, "lnk_unknown", foreign.code]) {
          expect(yield* refusal(joinLinkInvite(ann, { organizationId: orgA.id, inviteId }))).toMatchObject({
            _tag: "NotFound",
            reason: "link_invite_not_found",
          });
        }
      }),
    ),
  );

  it.effect("disabled, expired, used up or other-domain links are refused with their reason, writing nothing", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        const disabled = yield* InMemory.seedLinkInvite(orgA.id, { disabled: true });
        const expired = yield* InMemory.seedLinkInvite(orgA.id, { expiresAt: new Date(HOUR) });
        const usedUp = yield* InMemory.seedLinkInvite(orgA.id, { maxUses: 2, uses: 2 });
        const domains = yield* InMemory.seedLinkInvite(orgA.id, { allowedEmailDomains: ["a.example"] });
        yield* TestClock.adjust(HOUR);
        const ann = yield* joiner("ann@b.example");
        const join = (code: string) => joinLinkInvite(ann, { organizationId: orgA.id, inviteId: code });
        const cases = [
          [disabled.code, Forbidden, "link_invite_disabled"],
          [expired.code, Conflict, "link_invite_expired"],
          [usedUp.code, Conflict, "link_invite_used_up"],
          [domains.code, Forbidden, "email_domain_not_allowed"],
        ] as const;
        for (const [code, tag, reason] of cases) {
          const error = yield* refusal(join(code));
          expect(error).toBeInstanceOf(tag);
          expect(error).toMatchObject({ reason });
        }
        const insider = yield* joiner("bob@a.example");
        yield* joinLinkInvite(insider, { organizationId: orgA.id, inviteId: domains.code });
      }),
    ),
  );

  it.effect("joining again is already_member and counts no use", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, adminId, admin } = yield* world;
        const { link, code } = yield* InMemory.seedLinkInvite(orgA.id, { maxUses: 5 });
        const ann = yield* joiner("ann@example.com");
        yield* joinLinkInvite(ann, { organizationId: orgA.id, inviteId: code });
        const again = yield* refusal(joinLinkInvite(ann, { organizationId: orgA.id, inviteId: code }));
        expect(again).toBeInstanceOf(AlreadyMember);
        const existing = yield* refusal(joinLinkInvite(admin, { organizationId: orgA.id, inviteId: code }));
        expect(existing).toBeInstanceOf(AlreadyMember);
        expect((yield* orgMemberships(orgA.id)).find((m) => m.userId === adminId)).toMatchObject({
          role: "admin",
        });
        expect(yield* getLinkInvite(rootKey, { organizationId: orgA.id, inviteId: link.id })).toMatchObject({
          uses: 1,
        });
      }),
    ),
  );

  it.effect("maxUses is never exceeded, even by concurrent joins", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        const { link, code } = yield* InMemory.seedLinkInvite(orgA.id, { maxUses: 3 });
        const users = [];
        for (let i = 0; i < 8; i++) users.push(yield* joiner(`user${i}@example.com`));
        const outcomes = yield* Effect.all(
          users.map((u) => Effect.result(joinLinkInvite(u, { organizationId: orgA.id, inviteId: code }))),
          { concurrency: "unbounded" },
        );
        const failures = outcomes.flatMap((o) => (o._tag === "Failure" ? [o.failure] : []));
        expect(outcomes.length - failures.length).toBe(3);
        for (const failure of failures)
          expect(failure).toMatchObject({ _tag: "Conflict", reason: "link_invite_used_up" });
        expect(yield* getLinkInvite(rootKey, { organizationId: orgA.id, inviteId: link.id })).toMatchObject({
          uses: 3,
        });
        expect((yield* orgMemberships(orgA.id)).filter((m) => m.role === "read")).toHaveLength(3);
      }),
    ),
  );

  it.effect("a link whose creator lost authority is refused: inviter_lost_authority", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, adminId, admin } = yield* world;
        const key = yield* Tenancy.createApiKey(rootKey, {
          kind: "organization",
          organizationId: orgA.id,
          name: "app",
        });
        const byKey = yield* create(organizationKey(orgA.id, key.id), orgA.id);
        const byAdmin = yield* create(admin, orgA.id, { role: "edit" });
        const ann = yield* joiner("ann@example.com");
        const join = (code: string) => joinLinkInvite(ann, { organizationId: orgA.id, inviteId: code });

        yield* Tenancy.revokeApiKey(rootKey, { apiKeyId: key.id });
        expect(yield* refusal(join(byKey.code))).toMatchObject({ _tag: "Forbidden", reason: "inviter_lost_authority" });

        // The admin who made the link is lowered to edit: the link stops working until they are admin again.
        const members = yield* MembershipRepository;
        const orgTarget = { type: "organization" as const, id: orgA.id };
        yield* members.updateRole(orgTarget, adminId, "edit");
        expect(yield* refusal(join(byAdmin.code))).toMatchObject({
          _tag: "Forbidden",
          reason: "inviter_lost_authority",
        });
        yield* members.updateRole(orgTarget, adminId, "admin");
        expect(yield* join(byAdmin.code)).toMatchObject({ role: "edit" });
      }),
    ),
  );
});

describe("linkRefusal", () => {
  const link = (overrides: Partial<LinkInviteRecord> = {}): LinkInviteRecord => ({
    id: "l",
    organizationId: "o",
    role: "read",
    sso: false,
    expiresAt: null,
    maxUses: null,
    uses: 0,
    allowedEmailDomains: [],
    disabled: false,
    code: null,
    createdBy: { kind: "root", id: null, name: "Admit" },
    createdAt: new Date(0),
    ...overrides,
  });

  it("an open link refuses no one", () => {
    expect(linkRefusal(link(), "ann@example.com", 1_000_000)).toBeNull();
  });

  it("expires at its expiry instant, not after", () => {
    const expiring = link({ expiresAt: new Date(1000) });
    expect(linkRefusal(expiring, "ann@example.com", 999)).toBeNull();
    expect(linkRefusal(expiring, "ann@example.com", 1000)).toBe("link_invite_expired");
  });

  it("is used up once uses reach maxUses", () => {
    expect(linkRefusal(link({ maxUses: 3, uses: 2 }), "ann@example.com", 0)).toBeNull();
    expect(linkRefusal(link({ maxUses: 3, uses: 3 }), "ann@example.com", 0)).toBe("link_invite_used_up");
  });

  it("matches the email's domain exactly: no subdomains, no look-alikes", () => {
    const restricted = link({ allowedEmailDomains: ["example.com", "acme.io"] });
    expect(linkRefusal(restricted, "ann@acme.io", 0)).toBeNull();
    expect(linkRefusal(restricted, "ann@example.com", 0)).toBeNull();
    for (const email of ["ann@sub.example.com", "ann@example.com.evil.io", "ann@notexample.com"]) {
      expect(linkRefusal(restricted, email, 0)).toBe("email_domain_not_allowed");
    }
  });

  it("names the first reason: disabled, then expired, then used up, then domain", () => {
    const everything = {
      disabled: true,
      expiresAt: new Date(0),
      maxUses: 1,
      uses: 1,
      allowedEmailDomains: ["a.io"],
    };
    expect(linkRefusal(link(everything), "x@b.io", 1)).toBe("link_invite_disabled");
    expect(linkRefusal(link({ ...everything, disabled: false }), "x@b.io", 1)).toBe("link_invite_expired");
    expect(linkRefusal(link({ ...everything, disabled: false, expiresAt: null }), "x@b.io", 1)).toBe(
      "link_invite_used_up",
    );
    expect(linkRefusal(link({ ...everything, disabled: false, expiresAt: null, maxUses: null }), "x@b.io", 1)).toBe(
      "email_domain_not_allowed",
    );
  });
});

import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import type { Principal } from "../access/Principal.ts";
import { InvalidInput, RepositoryError } from "../errors/Errors.ts";
import * as InMemory from "../testing/InMemory.ts";
import { globalKey, organizationKey, rootKey, userPrincipal } from "../testing/Principals.ts";
import { inTestStore, MISSING, refusal, seedMember, seedStaff } from "../testing/support.ts";
import { inviteUsers, MAX_ORGANIZATION_INVITE_EMAILS, parseEmailList } from "./Organizations.ts";

const world = Effect.gen(function* () {
  const orgA = yield* InMemory.seedOrganization({ name: "A" });
  const orgB = yield* InMemory.seedOrganization({ name: "B" });
  const siteA = yield* InMemory.seedWebsite(orgA.id);
  return { orgA, orgB, siteA };
});

const invite = (principal: Principal, organizationId: string, emails: ReadonlyArray<string>, sso = false) =>
  inviteUsers(principal, { organizationId, emails, role: "read", sso });

describe("parseEmailList", () => {
  it("normalizes every email, in order", () => {
    expect(parseEmailList([" Ann@Example.COM ", "bob@example.com"])).toEqual({
      ok: true,
      emails: ["ann@example.com", "bob@example.com"],
    });
  });

  it("names each invalid or duplicated email by its index", () => {
    const result = parseEmailList(["ann@example.com", "not an email", "ANN@example.com ", "bob@example.com", ""]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(InvalidInput);
    expect(Object.keys(result.error.fieldErrors).sort()).toEqual(["emails.1", "emails.2", "emails.4"]);
    expect(result.error.fieldErrors["emails.1"]).toEqual(["Invalid email address"]);
    expect(result.error.fieldErrors["emails.2"]).toEqual(["Duplicate of emails.0"]);
    expect(result.error.fieldErrors["emails.4"]).toEqual(["Email is required"]);
  });

  it("takes 1 to 100 emails", () => {
    const emails = (n: number) => Array.from({ length: n }, (_, i) => `user${i}@example.com`);
    expect(parseEmailList(emails(1)).ok).toBe(true);
    expect(parseEmailList(emails(MAX_ORGANIZATION_INVITE_EMAILS)).ok).toBe(true);
    for (const n of [0, MAX_ORGANIZATION_INVITE_EMAILS + 1]) {
      const result = parseEmailList(emails(n));
      expect(result.ok || result.error.fieldErrors).toEqual({ emails: ["Between 1 and 100 emails"] });
    }
  });
});

describe("organizations.inviteUsers", () => {
  it.effect("adds every email now, creating unverified accounts as needed; invited counts new memberships only", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, siteA } = yield* world;
        const ann = yield* InMemory.seedUser({ email: "ann@example.com", emailVerified: true });
        const bob = yield* InMemory.seedUser({ email: "bob@example.com" });
        yield* InMemory.seedMembership(bob.id, { type: "organization", id: orgA.id }, "admin");
        yield* InMemory.seedMembership(ann.id, { type: "website", id: siteA.id }, "edit");

        const result = yield* inviteUsers(rootKey, {
          organizationId: orgA.id,
          emails: [" Cat@Example.com", "ANN@example.com", "bob@example.com"],
          role: "edit",
          sso: false,
        });
        const s = yield* InMemory.snapshot;
        const cat = s.users.find((u) => u.email === "cat@example.com");
        expect(cat).toMatchObject({ emailVerified: false });
        expect(result).toEqual({ users: [cat?.id, ann.id, bob.id], invited: 2 });
        expect(s.users).toHaveLength(3);
        const inOrg = s.memberships.filter((m) => m.target.type === "organization" && m.target.id === orgA.id);
        expect(inOrg.map((m) => [m.userId, m.role, m.sso])).toEqual([
          [bob.id, "admin", false],
          [cat?.id, "edit", false],
          [ann.id, "edit", false],
        ]);

        const again = yield* invite(rootKey, orgA.id, ["cat@example.com"]);
        expect(again).toEqual({ users: [cat?.id], invited: 0 });
        expect((yield* InMemory.snapshot).memberships).toEqual(s.memberships);
      }),
    ),
  );

  it.effect("invalid or duplicated emails are InvalidInput naming emails.<i>, and nothing is written", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        const error = yield* refusal(
          invite(rootKey, orgA.id, ["new@example.com", "Ann <ann@example.com>", "NEW@example.com"]),
        );
        expect(error).toBeInstanceOf(InvalidInput);
        expect(error).toMatchObject({
          fieldErrors: {
            "emails.1": ["Invalid email address"],
            "emails.2": ["Duplicate of emails.0"],
          },
        });
        expect(yield* refusal(invite(rootKey, orgA.id, []))).toMatchObject({
          _tag: "InvalidInput",
          fieldErrors: { emails: ["Between 1 and 100 emails"] },
        });
        const tooMany = Array.from({ length: 101 }, (_, i) => `u${i}@example.com`);
        expect(yield* refusal(invite(rootKey, orgA.id, tooMany))).toMatchObject({
          _tag: "InvalidInput",
          fieldErrors: { emails: ["Between 1 and 100 emails"] },
        });
      }),
    ),
  );

  it.effect("100 emails are added in one request", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        const emails = Array.from({ length: 100 }, (_, i) => `u${i}@example.com`);
        const result = yield* invite(rootKey, orgA.id, emails);
        expect(result.invited).toBe(100);
        expect(new Set(result.users).size).toBe(100);
        expect((yield* InMemory.snapshot).memberships).toHaveLength(100);
      }),
    ),
  );

  it.effect("SSO: a user already in another organization is added without SSO and listed in failedSSOEmails", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB } = yield* world;
        const siteB = yield* InMemory.seedWebsite(orgB.id);
        const elsewhere = yield* seedMember("elsewhere@example.com", "read", { type: "organization", id: orgB.id });
        const onlySite = yield* seedMember("site@example.com", "read", { type: "website", id: siteB.id });
        const here = yield* seedMember(
          "here@example.com",
          "read",
          { type: "organization", id: orgA.id },
          { sso: true },
        );

        const result = yield* invite(
          rootKey,
          orgA.id,
          ["new@example.com", "Elsewhere@example.com", "site@example.com"],
          true,
        );
        expect(result).toMatchObject({ invited: 3, failedSSOEmails: ["elsewhere@example.com"] });
        const sso = Object.fromEntries(
          (yield* InMemory.snapshot).memberships
            .filter((m) => m.target.type === "organization" && m.target.id === orgA.id)
            .map((m) => [m.userId, m.sso]),
        );
        const newUser = result.users[0] as string;
        expect(sso).toEqual({ [here.id]: true, [newUser]: true, [elsewhere.id]: false, [onlySite.id]: true });

        // Without SSO there is nothing to fail.
        const plain = yield* invite(rootKey, orgB.id, ["here@example.com"], false);
        expect(plain).toEqual({ users: [here.id], invited: 1 });
        expect(plain).not.toHaveProperty("failedSSOEmails");
      }),
    ),
  );

  it.effect("an organization key of another tenant gets NotFound like a missing organization; no account is made", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB } = yield* world;
        const key = organizationKey(orgA.id);
        const foreign = yield* refusal(invite(key, orgB.id, ["new@example.com"]));
        const missing = yield* refusal(invite(key, MISSING, ["new@example.com"]));
        expect(foreign).toEqual(missing);
        expect(foreign).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
        expect(yield* refusal(invite(rootKey, MISSING, ["new@example.com"]))).toMatchObject({
          _tag: "NotFound",
          reason: "organization_not_found",
        });
        expect(yield* invite(key, orgA.id, ["new@example.com"])).toMatchObject({ invited: 1 });
        expect(yield* invite(globalKey(), orgB.id, ["new@example.com"])).toMatchObject({ invited: 1 });
      }),
    ),
  );

  it.effect("a user must be admin of the organization itself", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, siteA } = yield* world;
        const { admin: boss, editor, siteAdmin } = yield* seedStaff(orgA.id, siteA.id);

        expect(yield* refusal(invite(userPrincipal(editor), orgA.id, ["new@example.com"]))).toMatchObject({
          _tag: "Forbidden",
          reason: "insufficient_role",
        });
        expect(yield* refusal(invite(userPrincipal(siteAdmin), orgA.id, ["new@example.com"]))).toMatchObject({
          _tag: "NotFound",
          reason: "organization_not_found",
        });
        expect(yield* refusal(invite(userPrincipal(boss), orgB.id, ["new@example.com"]))).toMatchObject({
          _tag: "NotFound",
          reason: "organization_not_found",
        });
        const added = yield* inviteUsers(userPrincipal(boss), {
          organizationId: orgA.id,
          emails: ["new@example.com"],
          role: "admin",
          sso: false,
        });
        expect(added.invited).toBe(1);
      }),
    ),
  );

  it.effect("a failure while adding memberships rolls the new accounts back", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        yield* InMemory.failOn("MembershipRepository.addUsers");
        const error = yield* refusal(invite(rootKey, orgA.id, ["new@example.com", "other@example.com"]));
        expect(error).toBeInstanceOf(RepositoryError);
        expect((yield* InMemory.snapshot).users).toEqual([]);
      }),
    ),
  );
});

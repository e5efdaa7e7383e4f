import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { Forbidden, InvalidInput, NotFound } from "../errors/Errors.ts";
import type { Page } from "../members/MembershipRepository.ts";
import type { IdGenerator } from "../shared/IdGenerator.ts";
import type { Transactor } from "../shared/Transactor.ts";
import * as InMemory from "../testing/InMemory.ts";
import { globalKey, organizationKey, rootKey, userPrincipal } from "../testing/Principals.ts";
import { inTestStore, MISSING, refusal, seedMember } from "../testing/support.ts";
import * as Tenancy from "./Tenancy.ts";
import type { OrganizationView, TenancyRepository } from "./TenancyRepository.ts";

const page = { cursor: null, limit: 50 };

const world = Effect.gen(function* () {
  const orgA = yield* InMemory.seedOrganization({ name: "A" });
  const orgB = yield* InMemory.seedOrganization({ name: "B" });
  const siteA = yield* InMemory.seedWebsite(orgA.id);
  const siteB = yield* InMemory.seedWebsite(orgB.id);
  return { orgA, orgB, siteA, siteB, keyA: organizationKey(orgA.id, "key-a") };
});

describe("organizations", () => {
  it.effect("only a global key creates organizations", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, keyA } = yield* world;
        const created = yield* Tenancy.createOrganization(rootKey, { name: "  Acme  " });
        expect(created).toMatchObject({ name: "Acme" });
        expect((yield* InMemory.snapshot).organizations.map((o) => o.id)).toContain(created.id);
        const user = yield* seedMember("u@example.com", "admin", { type: "organization", id: orgA.id });
        for (const principal of [keyA, userPrincipal(user)]) {
          const error = yield* refusal(Tenancy.createOrganization(principal, { name: "Nope" }));
          expect(error).toBeInstanceOf(Forbidden);
          expect(error).toMatchObject({ reason: "global_key_required" });
        }
      }),
    ),
  );

  it.effect("an organization key sees its own organization only; others look missing", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, keyA } = yield* world;
        expect(yield* Tenancy.getOrganization(keyA, { organizationId: orgA.id })).toEqual(orgA);
        const foreign = yield* Effect.flip(Tenancy.getOrganization(keyA, { organizationId: orgB.id }));
        const missing = yield* Effect.flip(Tenancy.getOrganization(keyA, { organizationId: MISSING }));
        expect(foreign).toBeInstanceOf(NotFound);
        expect(foreign).toEqual(missing);
        expect(foreign).toMatchObject({ reason: "organization_not_found" });
        expect((yield* Tenancy.listOrganizations(keyA, page)).items).toEqual([orgA]);
        expect(yield* Tenancy.getOrganization(rootKey, { organizationId: orgB.id })).toEqual(orgB);
      }),
    ),
  );

  it.effect("a global key lists every organization, page by page; a user lists none", () =>
    inTestStore(
      Effect.gen(function* () {
        yield* world;
        yield* InMemory.seedOrganization({ name: "C" });
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const result: Page<OrganizationView> = yield* Tenancy.listOrganizations(globalKey(), { cursor, limit: 2 });
          expect(result.items.length).toBeLessThanOrEqual(2);
          seen.push(...result.items.map((o) => o.name));
          cursor = result.nextCursor;
        } while (cursor !== null);
        expect(seen.sort()).toEqual(["A", "B", "C"]);
        const user = userPrincipal(yield* InMemory.seedUser({ email: "u@example.com" }));
        expect(yield* Tenancy.listOrganizations(user, page)).toEqual({ items: [], nextCursor: null });
      }),
    ),
  );
});

describe("websites", () => {
  it.effect("an organization key creates websites in its own organization only", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, keyA } = yield* world;
        const site = yield* Tenancy.createWebsite(keyA, {
          organizationId: orgA.id,
          name: " Shop ",
          url: "https://shop.example",
        });
        expect(site).toMatchObject({ organizationId: orgA.id, name: "Shop", url: "https://shop.example" });
        const foreign = yield* refusal(Tenancy.createWebsite(keyA, { organizationId: orgB.id, name: "x" }));
        expect(foreign).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
        const missing = yield* refusal(Tenancy.createWebsite(rootKey, { organizationId: MISSING, name: "x" }));
        expect(missing).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
      }),
    ),
  );

  it.effect("another tenant's website answers website_not_found, like a missing one", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, siteA, siteB, keyA } = yield* world;
        expect(yield* Tenancy.getWebsite(keyA, { websiteId: siteA.id })).toEqual(siteA);
        const foreign = yield* Effect.flip(Tenancy.getWebsite(keyA, { websiteId: siteB.id }));
        const missing = yield* Effect.flip(Tenancy.getWebsite(keyA, { websiteId: MISSING }));
        expect(foreign).toEqual(missing);
        expect(foreign).toMatchObject({ _tag: "NotFound", reason: "website_not_found" });
        expect((yield* Tenancy.listWebsites(keyA, { organizationId: orgA.id, ...page })).items).toEqual([siteA]);
        const list = yield* Effect.flip(Tenancy.listWebsites(keyA, { organizationId: orgB.id, ...page }));
        expect(list).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
      }),
    ),
  );
});

describe("groups", () => {
  it.effect("only a global key may create, read or list groups", () =>
    inTestStore(
      Effect.gen(function* () {
        const { keyA } = yield* world;
        const group = yield* InMemory.seedGroup();
        const attempts: ReadonlyArray<Effect.Effect<unknown, unknown, TenancyRepository | Transactor | IdGenerator>> = [
          Tenancy.createGroup(keyA, { name: "Portfolio" }),
          Tenancy.getGroup(keyA, { groupId: group.id }),
          Tenancy.listGroups(keyA, page),
          Tenancy.changeGroupWebsites(keyA, { groupId: group.id, websiteIds: [] }, "add"),
        ];
        for (const attempt of attempts) {
          expect(yield* refusal(attempt)).toMatchObject({ _tag: "Forbidden", reason: "group_requires_global_key" });
        }
        const created = yield* Tenancy.createGroup(rootKey, { name: " Portfolio " });
        expect(yield* Tenancy.getGroup(rootKey, { groupId: created.id })).toMatchObject({
          name: "Portfolio",
          websiteIds: [],
        });
        expect(yield* Effect.flip(Tenancy.getGroup(rootKey, { groupId: MISSING }))).toMatchObject({
          reason: "group_not_found",
        });
      }),
    ),
  );

  it.effect("adding websites is all or nothing: one unknown website refuses the whole request", () =>
    inTestStore(
      Effect.gen(function* () {
        const { siteA, siteB } = yield* world;
        const group = yield* InMemory.seedGroup();
        const error = yield* refusal(
          Tenancy.changeGroupWebsites(rootKey, { groupId: group.id, websiteIds: [siteA.id, MISSING] }, "add"),
        );
        expect(error).toMatchObject({ _tag: "NotFound", reason: "website_not_found" });

        const added = yield* Tenancy.changeGroupWebsites(
          rootKey,
          { groupId: group.id, websiteIds: [siteA.id, siteB.id] },
          "add",
        );
        expect([...added.websiteIds].sort()).toEqual([siteA.id, siteB.id].sort());
        const removed = yield* Tenancy.changeGroupWebsites(
          rootKey,
          { groupId: group.id, websiteIds: [siteA.id] },
          "remove",
        );
        expect(removed.websiteIds).toEqual([siteB.id]);
        const missingGroup = yield* refusal(
          Tenancy.changeGroupWebsites(rootKey, { groupId: MISSING, websiteIds: [siteA.id] }, "add"),
        );
        expect(missingGroup).toMatchObject({ _tag: "NotFound", reason: "group_not_found" });
      }),
    ),
  );
});

describe("members", () => {
  it.effect("an organization key lists the members of its own targets only", () =>
    inTestStore(
      Effect.gen(function* () {
        const { siteA, siteB, keyA } = yield* world;
        const ann = yield* InMemory.seedUser({ email: "ann@example.com" });
        yield* InMemory.seedMembership(ann.id, { type: "website", id: siteA.id }, "edit");
        yield* InMemory.seedMembership(ann.id, { type: "website", id: siteB.id }, "read");
        const members = yield* Tenancy.listMembers(keyA, { type: "website", id: siteA.id, ...page });
        expect(members.items).toEqual([
          { userId: ann.id, email: "ann@example.com", role: "edit", sso: false, createdAt: expect.any(Date) },
        ]);
        const foreign = yield* Effect.flip(Tenancy.listMembers(keyA, { type: "website", id: siteB.id, ...page }));
        expect(foreign).toMatchObject({ _tag: "NotFound", reason: "website_not_found" });
      }),
    ),
  );
});

describe("api keys", () => {
  it.effect(
    "an organization key creates organization keys for its own organization, shown once and stored hashed",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const { orgA, keyA } = yield* world;
          const created = yield* Tenancy.createApiKey(keyA, { kind: "organization", name: " CI " });
          expect(created).toMatchObject({ kind: "organization", organizationId: orgA.id, name: "CI", revokedAt: null });
          expect(created.secret).toMatch(/^admit_sk_/);
          const stored = (yield* InMemory.snapshot).apiKeys.find((k) => k.id === created.id);
          expect(stored?.secretHash).toBeDefined();
          expect(stored?.secretHash).not.toBe(created.secret);
          expect(JSON.stringify(yield* InMemory.snapshot)).not.toContain(`"${created.secret}"`);
        }),
      ),
  );

  it.effect("an organization key cannot create global keys or keys of another organization", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgB, keyA } = yield* world;
        const global = yield* refusal(Tenancy.createApiKey(keyA, { kind: "global", name: "x" }));
        expect(global).toMatchObject({ _tag: "Forbidden", reason: "global_key_required" });
        const foreign = yield* refusal(
          Tenancy.createApiKey(keyA, { kind: "organization", organizationId: orgB.id, name: "x" }),
        );
        expect(foreign).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
        const user = userPrincipal(yield* InMemory.seedUser({ email: "u@example.com" }));
        const byUser = yield* refusal(
          Tenancy.createApiKey(user, { kind: "organization", organizationId: orgB.id, name: "x" }),
        );
        expect(byUser).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
      }),
    ),
  );

  it.effect("a global key creates global keys and keys for any existing organization", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgB } = yield* world;
        expect(yield* Tenancy.createApiKey(rootKey, { kind: "global", name: "g" })).toMatchObject({
          kind: "global",
          organizationId: null,
        });
        expect(
          yield* Tenancy.createApiKey(rootKey, { kind: "organization", organizationId: orgB.id, name: "b" }),
        ).toMatchObject({
          organizationId: orgB.id,
        });
        const missing = yield* refusal(
          Tenancy.createApiKey(rootKey, { kind: "organization", organizationId: MISSING, name: "x" }),
        );
        expect(missing).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
      }),
    ),
  );

  it.effect("keys are listed and revoked within the caller's organization only", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, keyA } = yield* world;
        const own = yield* InMemory.seedApiKey({ kind: "organization", organizationId: orgA.id });
        const foreign = yield* InMemory.seedApiKey({ kind: "organization", organizationId: orgB.id });
        const global = yield* InMemory.seedApiKey({ kind: "global" });

        expect((yield* Tenancy.listApiKeys(keyA, page)).items.map((k) => k.id)).toEqual([own.key.id]);
        expect((yield* Tenancy.listApiKeys(rootKey, page)).items.map((k) => k.id).sort()).toEqual(
          [own.key.id, foreign.key.id, global.key.id].sort(),
        );
        const otherList = yield* Effect.flip(Tenancy.listApiKeys(keyA, { organizationId: orgB.id, ...page }));
        expect(otherList).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
        const user = userPrincipal(yield* InMemory.seedUser({ email: "u@example.com" }));
        expect(yield* Effect.flip(Tenancy.listApiKeys(user, page))).toMatchObject({
          _tag: "Forbidden",
          reason: "api_key_required",
        });

        for (const id of [foreign.key.id, global.key.id, MISSING]) {
          const error = yield* refusal(Tenancy.revokeApiKey(keyA, { apiKeyId: id }));
          expect(error).toMatchObject({ _tag: "NotFound", reason: "api_key_not_found" });
        }
        expect(yield* refusal(Tenancy.revokeApiKey(user, { apiKeyId: own.key.id }))).toMatchObject({
          reason: "api_key_not_found",
        });

        const revoked = yield* Tenancy.revokeApiKey(keyA, { apiKeyId: own.key.id });
        expect(revoked.revokedAt).toBeInstanceOf(Date);
        const again = yield* Tenancy.revokeApiKey(keyA, { apiKeyId: own.key.id });
        expect(again.revokedAt).toEqual(revoked.revokedAt);
        const stillActive = (yield* InMemory.snapshot).apiKeys.filter((k) => k.revokedAt === null).map((k) => k.id);
        expect(stillActive.sort()).toEqual([foreign.key.id, global.key.id].sort());
      }),
    ),
  );

  it.effect("organizationId is required for an organization key and refused for a global one: InvalidInput", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, keyA } = yield* world;
        for (const principal of [rootKey, globalKey()]) {
          const missing = yield* refusal(Tenancy.createApiKey(principal, { kind: "organization", name: "x" }));
          expect(missing).toBeInstanceOf(InvalidInput);
          expect(missing).toMatchObject({
            fieldErrors: { organizationId: ['Required when kind is "organization"'] },
          });
        }
        for (const principal of [rootKey, keyA]) {
          const notAllowed = yield* refusal(
            Tenancy.createApiKey(principal, { kind: "global", organizationId: orgA.id, name: "x" }),
          );
          expect(notAllowed).toBeInstanceOf(InvalidInput);
          expect(notAllowed).toMatchObject({ fieldErrors: { organizationId: ['Not allowed when kind is "global"'] } });
        }
      }),
    ),
  );
});

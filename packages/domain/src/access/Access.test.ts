import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import * as InMemory from "../testing/InMemory.ts";
import { globalKey, organizationKey, rootKey, userPrincipal } from "../testing/Principals.ts";
import { inTestStore, MISSING } from "../testing/support.ts";
import { canActInOrganization, checkTargets } from "./Access.ts";

describe("checkTargets", () => {
  it.effect("answers one outcome per target, in input order, duplicates included", () =>
    inTestStore(
      Effect.gen(function* () {
        const orgA = yield* InMemory.seedOrganization();
        const orgB = yield* InMemory.seedOrganization();
        const siteA = yield* InMemory.seedWebsite(orgA.id);
        const siteB = yield* InMemory.seedWebsite(orgB.id);
        const group = yield* InMemory.seedGroup({ websiteIds: [siteA.id] });
        const results = yield* checkTargets(
          organizationKey(orgA.id),
          [
            { type: "website", id: siteB.id },
            { type: "group", id: group.id },
            { type: "website", id: siteA.id },
            { type: "organization", id: orgA.id },
            { type: "website", id: siteA.id },
            { type: "website", id: orgA.id },
            { type: "organization", id: MISSING },
          ],
          "admin",
        );
        expect(results).toEqual([
          { _tag: "Refused", status: "not_found", reason: "website_not_found" },
          { _tag: "Refused", status: "forbidden", reason: "group_requires_global_key" },
          { _tag: "Allowed", target: { type: "website", id: siteA.id, organizationId: orgA.id } },
          { _tag: "Allowed", target: { type: "organization", id: orgA.id, organizationId: orgA.id } },
          { _tag: "Allowed", target: { type: "website", id: siteA.id, organizationId: orgA.id } },
          { _tag: "Refused", status: "not_found", reason: "website_not_found" },
          { _tag: "Refused", status: "not_found", reason: "organization_not_found" },
        ]);
      }),
    ),
  );

  it.effect("a global key may act on every existing target, groups included", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization();
        const site = yield* InMemory.seedWebsite(org.id);
        const group = yield* InMemory.seedGroup();
        const results = yield* checkTargets(
          rootKey,
          [
            { type: "group", id: group.id },
            { type: "website", id: site.id },
            { type: "group", id: MISSING },
          ],
          "admin",
        );
        expect(results.map((r) => (r._tag === "Allowed" ? "allowed" : r.reason))).toEqual([
          "allowed",
          "allowed",
          "group_not_found",
        ]);
      }),
    ),
  );

  it.effect("an empty request needs no lookup", () =>
    inTestStore(
      Effect.gen(function* () {
        yield* InMemory.failOn("TargetRepository.resolve", "MembershipRepository.rolesOn");
        expect(yield* checkTargets(globalKey(), [], "read")).toEqual([]);
      }),
    ),
  );

  it.effect(
    "a user acts where their effective role is admin; a lower role is insufficient_role; none is not_found",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const org = yield* InMemory.seedOrganization();
          const site = yield* InMemory.seedWebsite(org.id);
          const other = yield* InMemory.seedWebsite(org.id);
          const user = yield* InMemory.seedUser({ email: "u@example.com" });
          yield* InMemory.seedMembership(user.id, { type: "organization", id: org.id }, "review");
          yield* InMemory.seedMembership(user.id, { type: "website", id: site.id }, "admin");
          const results = yield* checkTargets(
            userPrincipal(user),
            [
              { type: "website", id: site.id },
              { type: "website", id: other.id },
              { type: "organization", id: org.id },
            ],
            "admin",
          );
          expect(results).toEqual([
            { _tag: "Allowed", target: { type: "website", id: site.id, organizationId: org.id } },
            { _tag: "Refused", status: "forbidden", reason: "insufficient_role" },
            { _tag: "Refused", status: "forbidden", reason: "insufficient_role" },
          ]);
          const stranger = yield* InMemory.seedUser({ email: "s@example.com" });
          const [none] = yield* checkTargets(userPrincipal(stranger), [{ type: "website", id: site.id }], "read");
          expect(none).toEqual({ _tag: "Refused", status: "not_found", reason: "website_not_found" });
        }),
      ),
  );
});

describe("canActInOrganization", () => {
  it("is true for a global key and for the key of that organization only", () => {
    expect(canActInOrganization(rootKey, "o1")).toBe(true);
    expect(canActInOrganization(organizationKey("o1"), "o1")).toBe(true);
    expect(canActInOrganization(organizationKey("o1"), "o2")).toBe(false);
    expect(canActInOrganization(userPrincipal({ id: "u", email: "u@x.io" }), "o1")).toBe(false);
  });
});

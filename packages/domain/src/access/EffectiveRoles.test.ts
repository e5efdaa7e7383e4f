import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import * as InMemory from "../testing/InMemory.ts";
import { inTestStore } from "../testing/support.ts";
import { effectiveRoles } from "./EffectiveRoles.ts";

describe("effectiveRoles", () => {
  it.effect("takes the higher of a target's own role and, for a website, its organization's", () =>
    inTestStore(
      Effect.gen(function* () {
        const org = yield* InMemory.seedOrganization();
        const other = yield* InMemory.seedOrganization();
        const site = yield* InMemory.seedWebsite(org.id);
        const foreignSite = yield* InMemory.seedWebsite(other.id);
        const group = yield* InMemory.seedGroup({ websiteIds: [site.id] });
        const user = yield* InMemory.seedUser({ email: "ann@example.com" });
        yield* InMemory.seedMembership(user.id, { type: "organization", id: org.id }, "admin");
        yield* InMemory.seedMembership(user.id, { type: "website", id: site.id }, "read");
        yield* InMemory.seedMembership(user.id, { type: "website", id: foreignSite.id }, "comment");
        const roles = yield* effectiveRoles(user.id, [
          { type: "website", id: site.id, organizationId: org.id },
          { type: "website", id: foreignSite.id, organizationId: other.id },
          { type: "organization", id: other.id, organizationId: other.id },
          { type: "group", id: group.id, organizationId: null },
        ]);
        // A group's websites lend it nothing, and a website lends its organization nothing.
        expect(Object.fromEntries(roles)).toEqual({
          [`website:${site.id}`]: "admin",
          [`website:${foreignSite.id}`]: "comment",
        });
      }),
    ),
  );
});

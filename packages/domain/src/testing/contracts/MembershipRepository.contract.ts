import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { MembershipRepository } from "../../members/MembershipRepository.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import type { Target } from "../../targets/Target.ts";
import { TenancyRepository } from "../../tenancy/TenancyRepository.ts";
import { UserRepository } from "../../users/UserRepository.ts";
import { type AdapterSet, freshEmail, runIn, tick } from "./harness.ts";

const world = Effect.gen(function* () {
  const ids = yield* IdGenerator;
  const tenancy = yield* TenancyRepository;
  const org = yield* tenancy.createOrganization({ id: yield* ids.next, name: "Acme" });
  const site = yield* tenancy.createWebsite({ id: yield* ids.next, organizationId: org.id, name: "Shop", url: null });
  const organization: Target = { type: "organization", id: org.id };
  const website: Target = { type: "website", id: site.id };
  return { org, site, organization, website };
});

/** Memberships: one per user and target, stored roles only (no inheritance), members newest first. */
export const membershipRepositoryContract = (adapters: AdapterSet) =>
  describe(`MembershipRepository (${adapters.name})`, () => {
    const run = runIn(adapters);

    it("adds a membership once per user and target, and answers only the ones it added", () =>
      run(
        Effect.gen(function* () {
          const { organization, website } = yield* world;
          const members = yield* MembershipRepository;
          const user = yield* (yield* UserRepository).findOrCreate({
            email: freshEmail("ann"),
            firstName: null,
            lastName: null,
          });
          expect(yield* members.addMany(user.id, [organization], "admin", false)).toEqual([organization]);
          const again = yield* members.addMany(user.id, [organization, website, website], "read", false);
          expect(again).toEqual([website]);
          expect(yield* members.roleOf(organization, user.id)).toBe("admin");
          expect(yield* members.roleOf(website, user.id)).toBe("read");
        }),
      ));

    it("answers the roles held on the targets asked for, as stored, without inheriting", () =>
      run(
        Effect.gen(function* () {
          const { organization, website } = yield* world;
          const other = yield* world;
          const members = yield* MembershipRepository;
          const user = yield* (yield* UserRepository).findOrCreate({
            email: freshEmail("bob"),
            firstName: null,
            lastName: null,
          });
          yield* members.addMany(user.id, [organization], "admin", false);
          yield* members.addMany(user.id, [other.website], "comment", false);
          const held = yield* members.rolesOn(user.id, [organization, website, other.website, other.organization]);
          expect([...held].sort((a, b) => a.role.localeCompare(b.role))).toEqual([
            { target: organization, role: "admin" },
            { target: other.website, role: "comment" },
          ]);
        }),
      ));

    it("lists a target's members newest first, page by page, and updates and removes them", () =>
      run(
        Effect.gen(function* () {
          const { website } = yield* world;
          const members = yield* MembershipRepository;
          const users = yield* UserRepository;
          const emails = ["a", "b", "c"].map(freshEmail);
          const ids: string[] = [];
          for (const email of emails) {
            const u = yield* users.findOrCreate({ email, firstName: null, lastName: null });
            ids.push(u.id);
            yield* members.addUsers(website, [{ userId: u.id, role: "read", sso: false }]);
            yield* tick;
          }
          const first = yield* members.list(website, { cursor: null, limit: 2 });
          expect(first.items.map((m) => m.email)).toEqual([emails[2], emails[1]]);
          const second = yield* members.list(website, { cursor: first.nextCursor, limit: 2 });
          expect(second).toMatchObject({ items: [{ email: emails[0] }], nextCursor: null });

          const updated = yield* members.updateRole(website, ids[0] as string, "edit");
          expect(updated).toMatchObject({ userId: ids[0], email: emails[0], role: "edit", sso: false });
          expect(yield* members.remove(website, ids[0] as string)).toBe(true);
          expect(yield* members.remove(website, ids[0] as string)).toBe(false);
          expect(yield* members.updateRole(website, ids[0] as string, "edit")).toBeNull();
          expect(yield* members.roleOf(website, ids[0] as string)).toBeNull();
        }),
      ));
  });

import { Effect } from "effect";
import { expect } from "vitest";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { TenancyRepository } from "../../tenancy/TenancyRepository.ts";
import { allPages, contract, inTurn, tick } from "./harness.ts";

/** Organizations, websites and groups: created, read back, listed newest first with a keyset cursor. */
export const tenancyRepositoryContract = contract("TenancyRepository", (it) => {
  it("reads back what it creates, and answers null for a missing id", function* () {
    const tenancy = yield* TenancyRepository;
    const ids = yield* IdGenerator;
    const org = yield* tenancy.createOrganization({ id: yield* ids.next, name: "Acme" });
    expect(org).toMatchObject({ name: "Acme", createdAt: expect.any(Date) });
    expect(yield* tenancy.getOrganization(org.id)).toEqual(org);
    const site = yield* tenancy.createWebsite({
      id: yield* ids.next,
      organizationId: org.id,
      name: "Shop",
      url: "https://shop.example",
    });
    expect(yield* tenancy.getWebsite(site.id)).toEqual(site);
    expect(site).toMatchObject({ organizationId: org.id, url: "https://shop.example" });
    const group = yield* tenancy.createGroup({ id: yield* ids.next, name: "G" });
    yield* tenancy.addGroupWebsites(group.id, [site.id, site.id]);
    expect(yield* tenancy.getGroup(group.id)).toEqual({ ...group, websiteIds: [site.id] });
    yield* tenancy.removeGroupWebsites(group.id, [site.id]);
    expect((yield* tenancy.getGroup(group.id))?.websiteIds).toEqual([]);
    expect(yield* tenancy.existingWebsites([site.id, org.id])).toEqual([site.id]);
    const missing = yield* ids.next;
    expect(yield* tenancy.getOrganization(missing)).toBeNull();
    expect(yield* tenancy.getWebsite(missing)).toBeNull();
    expect(yield* tenancy.getGroup(missing)).toBeNull();
  });

  it("lists an organization's websites newest first, page by page", function* () {
    const tenancy = yield* TenancyRepository;
    const ids = yield* IdGenerator;
    const org = yield* tenancy.createOrganization({ id: yield* ids.next, name: "Acme" });
    yield* inTurn(["a", "b", "c"], (name) =>
      Effect.flatMap(ids.next, (id) => tenancy.createWebsite({ id, organizationId: org.id, name, url: null })),
    );
    const first = yield* tenancy.listWebsites(org.id, { cursor: null, limit: 2 });
    expect(first.items.map((w) => w.name)).toEqual(["c", "b"]);
    expect(first.nextCursor).not.toBeNull();
    const second = yield* tenancy.listWebsites(org.id, { cursor: first.nextCursor, limit: 2 });
    expect(second.items.map((w) => w.name)).toEqual(["a"]);
    expect(second.nextCursor).toBeNull();
  });

  it("lists organizations and groups newest first", function* () {
    const tenancy = yield* TenancyRepository;
    const ids = yield* IdGenerator;
    const orgs: string[] = [];
    const groups: string[] = [];
    for (const name of ["a", "b", "c"]) {
      orgs.push((yield* tenancy.createOrganization({ id: yield* ids.next, name })).id);
      groups.push((yield* tenancy.createGroup({ id: yield* ids.next, name })).id);
      yield* tick;
    }
    // Other rows may share the table: only the relative order of these is checked.
    const listedOrgs = (yield* tenancy.listOrganizations({ cursor: null, limit: 1000 }, null)).items
      .map((o) => o.id)
      .filter((id) => orgs.includes(id));
    expect(listedOrgs).toEqual([...orgs].reverse());
    const listedGroups = (yield* tenancy.listGroups({ cursor: null, limit: 1000 })).items
      .map((g) => g.id)
      .filter((id) => groups.includes(id));
    expect(listedGroups).toEqual([...groups].reverse());
    const only = yield* tenancy.listOrganizations({ cursor: null, limit: 10 }, orgs[1] as string);
    expect(only.items.map((o) => o.id)).toEqual([orgs[1]]);

    // Page by page through a shared table: these come in order, none lost or repeated.
    const mine = (items: ReadonlyArray<{ readonly id: string }>) =>
      items.map((o) => o.id).filter((id) => orgs.includes(id));
    const pages = yield* allPages(
      (page) => tenancy.listOrganizations(page, null),
      2,
      (read) => mine(read).length >= orgs.length,
    );
    expect(pages.every((page) => page.length <= 2)).toBe(true);
    expect(mine(pages.flat())).toEqual([...orgs].reverse());
  });
});

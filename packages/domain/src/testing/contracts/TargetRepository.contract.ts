import { expect } from "vitest";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { targetKey } from "../../targets/Target.ts";
import { TargetRepository } from "../../targets/TargetRepository.ts";
import { TenancyRepository } from "../../tenancy/TenancyRepository.ts";
import { contract } from "./harness.ts";

/** Targets: resolved to their owning organization (none for a group), missing ones left out. */
export const targetRepositoryContract = contract("TargetRepository", (it) => {
  it("resolves existing targets with their organization and describes them", function* () {
    const ids = yield* IdGenerator;
    const tenancy = yield* TenancyRepository;
    const org = yield* tenancy.createOrganization({ id: yield* ids.next, name: "Acme" });
    const site = yield* tenancy.createWebsite({
      id: yield* ids.next,
      organizationId: org.id,
      name: "Shop",
      url: null,
    });
    const group = yield* tenancy.createGroup({ id: yield* ids.next, name: "G" });
    const missing = yield* ids.next;
    const targets = yield* TargetRepository;
    const resolved = yield* targets.resolve([
      { type: "website", id: site.id },
      { type: "organization", id: org.id },
      { type: "group", id: group.id },
      { type: "website", id: missing },
      { type: "website", id: site.id },
      // An id of another kind of target is no target of this kind.
      { type: "website", id: org.id },
      { type: "organization", id: missing },
    ]);
    // The port promises no order (one lookup per kind): compared as a set.
    expect([...resolved].sort((a, b) => targetKey(a).localeCompare(targetKey(b)))).toEqual([
      { type: "group", id: group.id, organizationId: null },
      { type: "organization", id: org.id, organizationId: org.id },
      { type: "website", id: site.id, organizationId: org.id },
    ]);
    const described = yield* targets.describe([
      { type: "website", id: site.id },
      { type: "group", id: group.id },
      { type: "organization", id: org.id },
      { type: "organization", id: missing },
      { type: "website", id: missing },
    ]);
    expect(Object.fromEntries(described)).toEqual({
      [`website:${site.id}`]: { name: "Shop", organization: { id: org.id, name: "Acme" } },
      [`group:${group.id}`]: { name: "G", organization: null },
      [`organization:${org.id}`]: { name: "Acme", organization: { id: org.id, name: "Acme" } },
    });
  });
});

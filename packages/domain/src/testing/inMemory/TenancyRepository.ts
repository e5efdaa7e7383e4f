import {
  type GroupView,
  type OrganizationView,
  TenancyRepository,
  type WebsiteView,
} from "../../tenancy/TenancyRepository.ts";
import { groupDetail, paginateNewestFirst, storeAdapter } from "./Store.ts";

export const TenancyRepositoryTest = storeAdapter(TenancyRepository, ({ r, w }) =>
  TenancyRepository.of({
    createOrganization: (org) =>
      w("TenancyRepository.createOrganization", (s, at) => {
        const row: OrganizationView = { id: org.id, name: org.name, createdAt: at };
        return [row, { ...s, organizations: [...s.organizations, row] }];
      }),
    getOrganization: (id) =>
      r("TenancyRepository.getOrganization", (s) => s.organizations.find((o) => o.id === id) ?? null),
    listOrganizations: (page, onlyId) =>
      r("TenancyRepository.listOrganizations", (s) =>
        paginateNewestFirst(
          s.organizations.filter((o) => onlyId === null || o.id === onlyId),
          page,
        ),
      ),
    createWebsite: (site) =>
      w("TenancyRepository.createWebsite", (s, at) => {
        if (!s.organizations.some((o) => o.id === site.organizationId)) {
          throw new Error(`websites.organization_id: no organization ${site.organizationId}`);
        }
        const row: WebsiteView = { ...site, createdAt: at };
        return [row, { ...s, websites: [...s.websites, row] }];
      }),
    getWebsite: (id) => r("TenancyRepository.getWebsite", (s) => s.websites.find((x) => x.id === id) ?? null),
    listWebsites: (organizationId, page) =>
      r("TenancyRepository.listWebsites", (s) =>
        paginateNewestFirst(
          s.websites.filter((x) => x.organizationId === organizationId),
          page,
        ),
      ),
    createGroup: (group) =>
      w("TenancyRepository.createGroup", (s, at) => {
        const row: GroupView = { id: group.id, name: group.name, createdAt: at };
        return [row, { ...s, groups: [...s.groups, row] }];
      }),
    getGroup: (id) =>
      r("TenancyRepository.getGroup", (s) => {
        const group = s.groups.find((g) => g.id === id);
        return group ? groupDetail(s, group) : null;
      }),
    listGroups: (page) => r("TenancyRepository.listGroups", (s) => paginateNewestFirst(s.groups, page)),
    existingWebsites: (ids) =>
      r("TenancyRepository.existingWebsites", (s) =>
        [...new Set(ids)].filter((id) => s.websites.some((x) => x.id === id)),
      ),
    addGroupWebsites: (groupId, websiteIds) =>
      w("TenancyRepository.addGroupWebsites", (s) => {
        if (!s.groups.some((g) => g.id === groupId)) throw new Error(`group_websites.group_id: no group ${groupId}`);
        const missing = websiteIds.filter((id) => !s.websites.some((x) => x.id === id));
        if (missing.length > 0) throw new Error(`group_websites.website_id: no website ${missing.join(", ")}`);
        const fresh = [...new Set(websiteIds)]
          .filter((websiteId) => !s.groupWebsites.some((gw) => gw.groupId === groupId && gw.websiteId === websiteId))
          .map((websiteId) => ({ groupId, websiteId }));
        return [undefined, { ...s, groupWebsites: [...s.groupWebsites, ...fresh] }];
      }),
    removeGroupWebsites: (groupId, websiteIds) =>
      w("TenancyRepository.removeGroupWebsites", (s) => [
        undefined,
        {
          ...s,
          groupWebsites: s.groupWebsites.filter((gw) => gw.groupId !== groupId || !websiteIds.includes(gw.websiteId)),
        },
      ]),
  }),
);

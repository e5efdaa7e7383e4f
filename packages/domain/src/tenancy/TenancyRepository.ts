import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";
import type { Page, PageRequest } from "../members/MembershipRepository.ts";

/** How an organization presents itself to the people it invites, and where its product lives. */
export interface OrganizationSettings {
  /** The name people see in emails and pages; `name` when absent. */
  readonly displayName: string | null;
  readonly logoUrl: string | null;
  /** `#rrggbb`. */
  readonly primaryColor: string | null;
  readonly supportEmail: string | null;
  readonly locale: string | null;
  /** Origins an invite's `redirectUrl` may lead to. */
  readonly allowedRedirectOrigins: ReadonlyArray<string>;
  /** Where people go after accepting when the invite names no `redirectUrl`; where link invites hand over. */
  readonly appUrl: string | null;
  /** The organization's email-invite quota; null means the platform default. */
  readonly emailInvitesPerHour: number | null;
}

export interface OrganizationView extends OrganizationSettings {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface WebsiteView {
  readonly id: string;
  readonly organizationId: string;
  readonly name: string;
  readonly url: string | null;
  readonly createdAt: Date;
}

export interface GroupView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface GroupDetailView extends GroupView {
  readonly websiteIds: ReadonlyArray<string>;
}

export class TenancyRepository extends Context.Service<
  TenancyRepository,
  {
    createOrganization(org: { id: string; name: string }): Effect.Effect<OrganizationView, RepositoryError>;
    getOrganization(id: string): Effect.Effect<OrganizationView | null, RepositoryError>;
    /** The organizations among these ids that exist, in one lookup. */
    getOrganizations(ids: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<OrganizationView>, RepositoryError>;
    /** Applies the given changes (absent fields stay); null when there is no such organization. */
    updateOrganization(
      id: string,
      changes: Partial<OrganizationSettings> & { readonly name?: string },
    ): Effect.Effect<OrganizationView | null, RepositoryError>;
    /** All organizations, or only `onlyId` when given. */
    listOrganizations(page: PageRequest, onlyId: string | null): Effect.Effect<Page<OrganizationView>, RepositoryError>;
    createWebsite(site: {
      id: string;
      organizationId: string;
      name: string;
      url: string | null;
    }): Effect.Effect<WebsiteView, RepositoryError>;
    getWebsite(id: string): Effect.Effect<WebsiteView | null, RepositoryError>;
    listWebsites(organizationId: string, page: PageRequest): Effect.Effect<Page<WebsiteView>, RepositoryError>;
    createGroup(group: { id: string; name: string }): Effect.Effect<GroupView, RepositoryError>;
    getGroup(id: string): Effect.Effect<GroupDetailView | null, RepositoryError>;
    listGroups(page: PageRequest): Effect.Effect<Page<GroupView>, RepositoryError>;
    /** Which of these website ids exist. */
    existingWebsites(ids: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>, RepositoryError>;
    addGroupWebsites(groupId: string, websiteIds: ReadonlyArray<string>): Effect.Effect<void, RepositoryError>;
    removeGroupWebsites(groupId: string, websiteIds: ReadonlyArray<string>): Effect.Effect<void, RepositoryError>;
  }
>()("@admit/domain/TenancyRepository") {}

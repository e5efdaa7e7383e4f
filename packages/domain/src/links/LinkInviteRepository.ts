import { Context, type Effect } from "effect";
import type { Inviter } from "../access/Principal.ts";
import type { Role } from "../access/Role.ts";
import type { RepositoryError } from "../errors/Errors.ts";
import type { Page, PageRequest } from "../members/MembershipRepository.ts";

export interface LinkInviteRecord {
  readonly id: string;
  readonly organizationId: string;
  readonly role: Role;
  readonly sso: boolean;
  readonly expiresAt: Date | null;
  readonly maxUses: number | null;
  readonly uses: number;
  readonly allowedEmailDomains: ReadonlyArray<string>;
  readonly disabled: boolean;
  readonly createdBy: Inviter;
  readonly createdAt: Date;
  /**
   * The join code in clear, for managers to read the link's url again; stored sealed. Null for
   * links made before codes were kept.
   */
  readonly code: string | null;
}

export interface NewLinkInvite extends Omit<LinkInviteRecord, "uses" | "createdAt" | "disabled" | "code"> {
  /** Stored sealed; lookups use the hash. */
  readonly code: string;
  readonly codeHash: string;
}

export interface LinkInviteChanges {
  readonly role?: Role | undefined;
  readonly expiresAt?: Date | null | undefined;
  readonly maxUses?: number | null | undefined;
  readonly disabled?: boolean | undefined;
}

export class LinkInviteRepository extends Context.Service<
  LinkInviteRepository,
  {
    create(link: NewLinkInvite): Effect.Effect<LinkInviteRecord, RepositoryError>;
    /** An unrevoked link of the organization; with `lock`, its row stays locked to the end of the transaction. */
    get(
      organizationId: string,
      id: string,
      options?: { lock?: boolean },
    ): Effect.Effect<LinkInviteRecord | null, RepositoryError>;
    /** The unrevoked link whose join code has this hash, row locked to the end of the transaction. */
    lockByCodeHash(organizationId: string, codeHash: string): Effect.Effect<LinkInviteRecord | null, RepositoryError>;
    /** The same lookup without a lock, for reading only. */
    findByCodeHash(organizationId: string, codeHash: string): Effect.Effect<LinkInviteRecord | null, RepositoryError>;
    list(organizationId: string, page: PageRequest): Effect.Effect<Page<LinkInviteRecord>, RepositoryError>;
    update(
      organizationId: string,
      id: string,
      changes: LinkInviteChanges,
    ): Effect.Effect<LinkInviteRecord | null, RepositoryError>;
    countUse(id: string): Effect.Effect<void, RepositoryError>;
    revoke(organizationId: string, id: string): Effect.Effect<boolean, RepositoryError>;
  }
>()("@admit/domain/LinkInviteRepository") {}

import { Context, type Effect } from "effect";
import type { Inviter } from "../access/Principal.ts";
import type { Role } from "../access/Role.ts";
import type { RepositoryError } from "../errors/Errors.ts";
import type { Page, PageRequest } from "../members/MembershipRepository.ts";
import type { ResolvedTarget } from "../targets/Target.ts";
import type { DeliveryStatus, InviteRecord, InviteStatus } from "./Invite.ts";

export interface NewInvite {
  readonly id: string;
  readonly email: string;
  readonly target: ResolvedTarget;
  readonly role: Role;
  readonly deliveryId: string;
  readonly inviter: Inviter;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly expiresAt: Date;
  /** Where the person goes after accepting; its origin was checked against the organization's. */
  readonly redirectUrl: string | null;
  /** The language the invite speaks to its recipient, when the inviter chose one. */
  readonly locale: string | null;
}

export interface InviteFilter {
  readonly organizationId?: string | undefined;
  readonly websiteId?: string | undefined;
  readonly groupId?: string | undefined;
  readonly email?: string | undefined;
  readonly status?: InviteStatus | undefined;
  /** The status of the invite's delivery. */
  readonly deliveryStatus?: DeliveryStatus | undefined;
  /** For telling pending from expired. */
  readonly now: Date;
}

export class InviteRepository extends Context.Service<
  InviteRepository,
  {
    /**
     * Creates pending invites; where one is already pending for the same email and target it is
     * replaced in place (new role, delivery and expiry; the old token no longer reaches it).
     * Answers the invite id of each input, in order.
     */
    upsertPending(invites: ReadonlyArray<NewInvite>): Effect.Effect<ReadonlyArray<string>, RepositoryError>;
    /** One invite; with `lock`, its row stays locked until the transaction ends. */
    get(id: string, options?: { lock?: boolean }): Effect.Effect<InviteRecord | null, RepositoryError>;
    list(filter: InviteFilter, page: PageRequest): Effect.Effect<Page<InviteRecord>, RepositoryError>;
    /**
     * The invites that still point at the delivery holding this token, rows locked until the
     * transaction ends; `null` when no delivery has that token.
     */
    findByTokenHash(
      tokenHash: string,
      options?: { lock?: boolean },
    ): Effect.Effect<{ readonly email: string; readonly invites: ReadonlyArray<InviteRecord> } | null, RepositoryError>;
    /** Moves pending invites to a final state. */
    respond(
      ids: ReadonlyArray<string>,
      status: "accepted" | "declined" | "revoked",
      userId: string | null,
    ): Effect.Effect<void, RepositoryError>;
    /** Points an invite at a new delivery with a new expiry (resend). */
    redeliver(id: string, deliveryId: string, expiresAt: Date): Effect.Effect<void, RepositoryError>;
  }
>()("@admit/domain/InviteRepository") {}

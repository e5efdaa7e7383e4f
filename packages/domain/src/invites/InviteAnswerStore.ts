import { Context, type Effect } from "effect";
import type { GrantorState } from "../access/Access.ts";
import type { Inviter } from "../access/Principal.ts";
import type { Role } from "../access/Role.ts";
import type { RepositoryError } from "../errors/Errors.ts";
import type { PlannedEvent } from "../events/Event.ts";
import type { ResolvedTarget, TargetType } from "../targets/Target.ts";
import type { PlannedUser } from "../users/UserRepository.ts";
import type { InviteRecord } from "./Invite.ts";

/** An invite as answering its token reads it; `version` changes whenever the stored invite changes. */
export interface AnswerableInvite
  extends Pick<InviteRecord, "id" | "email" | "target" | "role" | "status" | "expiresAt" | "redirectUrl"> {
  readonly inviter: Pick<Inviter, "kind" | "id">;
  readonly version: string;
}

/** Everything answering a token needs, read at once. */
export interface AnswerState {
  /** The recipient of the delivery that holds the token. */
  readonly email: string;
  /** The invites that still point at that delivery (any status). */
  readonly invites: ReadonlyArray<AnswerableInvite>;
  /** The user with the recipient's email, if there is one. */
  readonly user: { readonly id: string } | null;
  /**
   * That user's memberships on the invites' targets: accepting keeps them as they are, so their
   * roles are the ones the answer reports. Empty without a user.
   */
  readonly recipientRoles: ReadonlyArray<{
    readonly target: { readonly type: TargetType; readonly id: string };
    readonly role: Role;
  }>;
  /** What `authorizedGrants` needs to know of the invites' creators. */
  readonly grantors: GrantorState;
  /** Where each of the invites' organizations sends people after accepting (`appUrl`). */
  readonly organizations: ReadonlyArray<{ readonly id: string; readonly appUrl: string | null }>;
}

/** What the rules decided an answer to a token (accept or decline) writes. */
export interface AnswerPlan {
  /**
   * Accepting: the recipient, an existing user marked verified with missing names filled in, or a
   * new one created verified. Declining: none.
   */
  readonly user: PlannedUser | null;
  /**
   * Each invite answered, at the version it was decided on: accepted, declined, or closed (its
   * inviter lost the authority).
   */
  readonly answers: ReadonlyArray<{
    readonly id: string;
    readonly version: string;
    readonly status: "accepted" | "declined" | "revoked";
  }>;
  /** Memberships to add where missing. */
  readonly grants: ReadonlyArray<{ readonly target: ResolvedTarget; readonly role: Role }>;
  /** Recorded with the change, in this order. */
  readonly events: ReadonlyArray<PlannedEvent>;
}

/**
 * Answering an email invite's token (accept, decline) in two steps: one read of everything the
 * rules look at, then one atomic write of their decision. The write first locks the answered
 * invites and checks that each is still pending at the version read; if any changed (accepted,
 * declined, revoked or replaced meanwhile), or the new user it planned exists by now, it writes
 * nothing and answers `false`, and the caller decides again from a fresh read. Of concurrent
 * answers to one token, exactly one writes.
 */
export class InviteAnswerStore extends Context.Service<
  InviteAnswerStore,
  {
    /** `null` when no delivery has that token. */
    read(tokenHash: string): Effect.Effect<AnswerState | null, RepositoryError>;
    write(plan: AnswerPlan): Effect.Effect<boolean, RepositoryError>;
  }
>()("@admit/domain/InviteAnswerStore") {}

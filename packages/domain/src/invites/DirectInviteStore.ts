import { Context, type Effect } from "effect";
import type { Role } from "../access/Role.ts";
import type { RepositoryError } from "../errors/Errors.ts";
import type { NewEvent } from "../events/Event.ts";
import type { HeldRole } from "../members/MembershipRepository.ts";
import type { ResolvedTarget, Target } from "../targets/Target.ts";
import type { PlannedUser } from "../users/UserRepository.ts";

/** What a direct invite (one target or a bulk of them) reads before deciding. */
export interface DirectInviteQuery {
  /** The invitee, normalized. */
  readonly email: string;
  /** The targets to look up (those `targetsToResolve` keeps). */
  readonly targets: ReadonlyArray<Target>;
  /** A user principal: its own memberships on the targets and their organizations are read too. */
  readonly roleHolder: string | null;
}

/** Everything the rules of a direct invite need, read at once. */
export interface DirectInviteState {
  /** The targets that exist. */
  readonly resolved: ReadonlyArray<ResolvedTarget>;
  /** The role holder's memberships on `rolesToRead(resolved)`; empty without a role holder. */
  readonly holderRoles: ReadonlyArray<HeldRole>;
  /** The user with the invitee's email, if there is one. */
  readonly invitee: { readonly id: string } | null;
  /** The targets (among those asked) where the invitee is already a member. */
  readonly memberOf: ReadonlyArray<Target>;
}

/** A membership to add, and the event recorded exactly when it is added. */
export interface PlannedGrant {
  readonly target: ResolvedTarget;
  readonly event: NewEvent;
}

/** What the rules decided a direct invite writes. */
export interface DirectInvitePlan {
  /**
   * The invitee: an existing user (`existing`), whose missing names are filled in, or a new one
   * created unverified with this id.
   */
  readonly user: PlannedUser;
  readonly role: Role;
  readonly grants: ReadonlyArray<PlannedGrant>;
  /** Nothing at all is written unless a membership is added (an invite of one target that must not touch a member). */
  readonly requireGrant: boolean;
}

export type DirectInviteWritten =
  /** The plan was written: these of its grants were added (the others were members by then). */
  | { readonly _tag: "Written"; readonly added: ReadonlyArray<Target> }
  /** What the plan was decided on changed meanwhile (the new user exists, or no grant could be added): nothing was written. */
  | { readonly _tag: "Stale" };

/**
 * Direct invites in two steps: one read of everything the rules look at, then one atomic write of
 * what they decided. The write re-checks what it relies on instead of locking between the two: a
 * plan overtaken by a concurrent change writes nothing and answers `Stale`, and the caller decides
 * again from a fresh read.
 */
export class DirectInviteStore extends Context.Service<
  DirectInviteStore,
  {
    read(query: DirectInviteQuery): Effect.Effect<DirectInviteState, RepositoryError>;
    write(plan: DirectInvitePlan): Effect.Effect<DirectInviteWritten, RepositoryError>;
  }
>()("@admit/domain/DirectInviteStore") {}

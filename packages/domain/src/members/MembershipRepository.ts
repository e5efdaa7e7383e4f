import { Context, type Effect } from "effect";
import type { Role } from "../access/Role.ts";
import type { RepositoryError } from "../errors/Errors.ts";
import type { Target } from "../targets/Target.ts";

export interface MemberView {
  readonly userId: string;
  readonly email: string;
  readonly role: Role;
  readonly sso: boolean;
  readonly createdAt: Date;
}

/** A membership as stored: the user's own role on one target. */
export interface HeldRole {
  readonly target: Target;
  readonly role: Role;
}

export interface Page<T> {
  readonly items: ReadonlyArray<T>;
  readonly nextCursor: string | null;
}

export interface PageRequest {
  readonly cursor: string | null;
  readonly limit: number;
}

export class MembershipRepository extends Context.Service<
  MembershipRepository,
  {
    /** Adds memberships for one user; answers the targets that were added (the others already had one). */
    addMany(
      userId: string,
      targets: ReadonlyArray<Target>,
      role: Role,
      sso: boolean,
    ): Effect.Effect<ReadonlyArray<Target>, RepositoryError>;
    /** Adds many users to one target at once; answers the user ids that were added. */
    addUsers(
      target: Target,
      members: ReadonlyArray<{ readonly userId: string; readonly role: Role; readonly sso: boolean }>,
    ): Effect.Effect<ReadonlyArray<string>, RepositoryError>;
    /** Among these users, those who are members of an organization other than `organizationId`. */
    inOtherOrganizations(
      userIds: ReadonlyArray<string>,
      organizationId: string,
    ): Effect.Effect<ReadonlyArray<string>, RepositoryError>;
    /** The targets among `targets` where the user with that email is already a member. */
    memberTargetsByEmail(
      email: string,
      targets: ReadonlyArray<Target>,
    ): Effect.Effect<ReadonlyArray<Target>, RepositoryError>;
    /**
     * The user's own memberships among these targets, as stored: nothing is inherited here (a
     * website's role through its organization is the domain's rule, `effectiveRoles`).
     */
    rolesOn(userId: string, targets: ReadonlyArray<Target>): Effect.Effect<ReadonlyArray<HeldRole>, RepositoryError>;
    list(target: Target, page: PageRequest): Effect.Effect<Page<MemberView>, RepositoryError>;
    /**
     * The member's own role on the target, if a member; with `lock`, the membership row stays
     * locked to the end of the transaction (and the role read is the latest committed one).
     */
    roleOf(target: Target, userId: string, options?: { lock?: boolean }): Effect.Effect<Role | null, RepositoryError>;
    updateRole(target: Target, userId: string, role: Role): Effect.Effect<MemberView | null, RepositoryError>;
    /** Answers the membership as it was before removal (null when there was none). */
    remove(target: Target, userId: string): Effect.Effect<MemberView | null, RepositoryError>;
  }
>()("@admit/domain/MembershipRepository") {}

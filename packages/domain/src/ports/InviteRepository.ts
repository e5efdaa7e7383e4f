import { Context, type Effect } from "effect";
import type { RepositoryError } from "../Errors.ts";
import type { Inviter } from "../Principal.ts";
import type { Role } from "../Role.ts";
import type { ResolvedTarget } from "../Target.ts";

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
  }
>()("@admit/domain/InviteRepository") {}

import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";

export interface NewUser {
  readonly email: string;
  readonly firstName: string | null;
  readonly lastName: string | null;
}

/**
 * The user a write plans for: an existing one (`existing`), whose missing names are filled in, or
 * a new one created with this id.
 */
export interface PlannedUser extends NewUser {
  readonly id: string;
  readonly existing: boolean;
}

export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly emailVerified: boolean;
}

export class UserRepository extends Context.Service<
  UserRepository,
  {
    /** The user with that (normalized) email, created unverified when missing; safe under concurrency. */
    findOrCreate(user: NewUser): Effect.Effect<{ readonly id: string; readonly created: boolean }, RepositoryError>;
    findIdByEmail(email: string): Effect.Effect<string | null, RepositoryError>;
    /** Accepting an email invite proves the address: the user is created verified, or marked verified. */
    findOrCreateVerified(user: NewUser): Effect.Effect<{ readonly id: string }, RepositoryError>;
    get(id: string): Effect.Effect<UserView | null, RepositoryError>;
    /**
     * Locks the user's row to the end of the transaction, as `findOrCreate*` do for the users
     * they write: what depends on all of a user's memberships (SSO) is then decided one at a time.
     */
    lock(id: string): Effect.Effect<void, RepositoryError>;
    /** Like `findOrCreate` for many emails at once (one statement); answers in input order. */
    findOrCreateMany(
      emails: ReadonlyArray<string>,
    ): Effect.Effect<ReadonlyArray<{ readonly id: string; readonly email: string }>, RepositoryError>;
  }
>()("@admit/domain/UserRepository") {}

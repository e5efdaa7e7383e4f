import { Context, type Effect } from "effect";
import type { RepositoryError } from "../Errors.ts";

export interface NewUser {
  readonly email: string;
  readonly firstName: string | null;
  readonly lastName: string | null;
}

export class UserRepository extends Context.Service<
  UserRepository,
  {
    /** The user with that (normalized) email, created unverified when missing; safe under concurrency. */
    findOrCreate(user: NewUser): Effect.Effect<{ readonly id: string; readonly created: boolean }, RepositoryError>;
    findIdByEmail(email: string): Effect.Effect<string | null, RepositoryError>;
  }
>()("@admit/domain/UserRepository") {}

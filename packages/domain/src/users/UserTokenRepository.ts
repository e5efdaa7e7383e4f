import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";
import type { UserView } from "./UserRepository.ts";

export class UserTokenRepository extends Context.Service<
  UserTokenRepository,
  {
    create(token: {
      id: string;
      userId: string;
      tokenHash: string;
      expiresAt: Date;
    }): Effect.Effect<void, RepositoryError>;
    /** The user behind an unexpired token. */
    findUser(tokenHash: string, now: Date): Effect.Effect<UserView | null, RepositoryError>;
  }
>()("@admit/domain/UserTokenRepository") {}

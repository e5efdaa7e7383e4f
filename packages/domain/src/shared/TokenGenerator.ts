import { Context, type Effect } from "effect";

export interface IssuedToken {
  /** Shown once, to the one who receives it. */
  readonly token: string;
  /** What is stored: a hash from which the token cannot be recovered. */
  readonly hash: string;
}

/** Issues secrets (at least 128 random bits) and hashes presented ones for lookup. */
export class TokenGenerator extends Context.Service<
  TokenGenerator,
  {
    readonly next: (prefix: string) => Effect.Effect<IssuedToken>;
    readonly hash: (token: string) => string;
  }
>()("@admit/domain/TokenGenerator") {}

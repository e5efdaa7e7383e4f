import { Context, type Effect } from "effect";
import type { RepositoryError } from "../Errors.ts";
import type { ResolvedTarget, Target } from "../Target.ts";

export class TargetRepository extends Context.Service<
  TargetRepository,
  {
    /** The targets that exist, with their owning organization, in one lookup per kind. */
    resolve(targets: ReadonlyArray<Target>): Effect.Effect<ReadonlyArray<ResolvedTarget>, RepositoryError>;
  }
>()("@admit/domain/TargetRepository") {}

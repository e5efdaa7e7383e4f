import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";
import type { ResolvedTarget, Target } from "./Target.ts";

export interface TargetDescription {
  readonly name: string;
  readonly organization: { readonly id: string; readonly name: string } | null;
}

export class TargetRepository extends Context.Service<
  TargetRepository,
  {
    /** The targets that exist, with their owning organization, in one lookup per kind. */
    resolve(targets: ReadonlyArray<Target>): Effect.Effect<ReadonlyArray<ResolvedTarget>, RepositoryError>;
    /** Display names of targets and of their organizations, keyed by `targetKey`. */
    describe(targets: ReadonlyArray<Target>): Effect.Effect<ReadonlyMap<string, TargetDescription>, RepositoryError>;
  }
>()("@admit/domain/TargetRepository") {}

import { Context, type Effect } from "effect";

/** Issues new UUIDs for rows the domain creates. */
export class IdGenerator extends Context.Service<IdGenerator, { readonly next: Effect.Effect<string> }>()(
  "@admit/domain/IdGenerator",
) {}

import { Effect, Layer, Ref } from "effect";
import { IdGenerator } from "../../shared/IdGenerator.ts";

/** Counts up: `00000000-0000-4000-8000-000000000001`, `...002`, ... (UUID-shaped, easy to read in failures). */
export const IdGeneratorTest = Layer.effect(
  IdGenerator,
  Effect.gen(function* () {
    const counter = yield* Ref.make(0);
    return IdGenerator.of({
      next: Ref.modify(counter, (n) => [`00000000-0000-4000-8000-${(n + 1).toString(16).padStart(12, "0")}`, n + 1]),
    });
  }),
);

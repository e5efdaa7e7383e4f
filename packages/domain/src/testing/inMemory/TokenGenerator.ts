import { Effect, Layer, Ref } from "effect";
import { TokenGenerator } from "../../shared/TokenGenerator.ts";

/** Tokens `${prefix}_1`, `${prefix}_2`, ...; the stored hash is `h:${token}`, so tests can compute it. */
export const TokenGeneratorTest = Layer.effect(
  TokenGenerator,
  Effect.gen(function* () {
    const counter = yield* Ref.make(0);
    const hash = (token: string) => `h:${token}`;
    return TokenGenerator.of({
      next: (prefix) =>
        Ref.modify(counter, (n) => {
          const token = `${prefix}_${n + 1}`;
          return [{ token, hash: hash(token) }, n + 1];
        }),
      hash,
    });
  }),
);

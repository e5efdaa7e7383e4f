import { Effect, Layer } from "effect";
import type { IdGenerator } from "../shared/IdGenerator.ts";
import { ContractSeeds, portContracts } from "./contracts/index.ts";
import * as InMemory from "./InMemory.ts";

/** What no port writes, written straight into the store the in-memory adapters read. */
const seeds = Layer.effect(
  ContractSeeds,
  Effect.gen(function* () {
    const context = yield* Effect.context<InMemory.Store | IdGenerator>();
    return ContractSeeds.of({
      webhookAttempt: (webhookId, attempt) =>
        InMemory.seedWebhookAttempt(webhookId, attempt).pipe(Effect.provideContext(context)),
    });
  }),
);

portContracts({ name: "in memory", layer: () => seeds.pipe(Layer.provideMerge(InMemory.layerTest)) });

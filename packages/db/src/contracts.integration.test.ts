import { Contracts } from "@admit/domain/testing";
import { Effect, Layer } from "effect";
import { afterAll, beforeAll, inject } from "vitest";
import { uuidv7 } from "./adapters/ids.ts";
import { makeRun } from "./kysely.ts";
import { layer } from "./layer.ts";
import { initOrm, type Orm } from "./orm.ts";

let orm: Orm;
beforeAll(async () => {
  orm = await initOrm({ databaseUrl: inject("databaseUrl") });
});
afterAll(() => orm.close());

/** What no port writes, inserted into the table the worker's `recordWebhookAttempt` writes. */
const seeds = () => {
  const run = makeRun(orm);
  return Layer.succeed(
    Contracts.ContractSeeds,
    Contracts.ContractSeeds.of({
      webhookAttempt: (webhookId, attempt) => {
        const id = uuidv7();
        return run((db) =>
          db
            .insertInto("webhook_attempts")
            .values({
              id,
              webhook_id: webhookId,
              event_id: attempt.eventId,
              event_type: attempt.eventType,
              attempt: attempt.attempt,
              status_code: attempt.statusCode,
              error: attempt.error,
              duration_ms: attempt.durationMs,
            })
            .execute(),
        ).pipe(Effect.as(id));
      },
    }),
  );
};

Contracts.portContracts({
  name: "PostgreSQL",
  layer: () => Layer.merge(layer(orm, { tokenKey: "k".repeat(32) }), seeds()),
});

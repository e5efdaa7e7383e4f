import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import * as InMemory from "../testing/InMemory.ts";
import { globalKey, organizationKey, rootKey } from "../testing/Principals.ts";
import { eventsSince, inTestStore, MISSING, refusal } from "../testing/support.ts";
import {
  createWebhook,
  deleteWebhook,
  disableWebhook,
  getWebhook,
  listWebhookAttempts,
  listWebhooks,
  PREVIOUS_SECRET_VALIDITY_MS,
  rotateWebhookSecret,
  testWebhook,
  updateWebhook,
} from "./Webhooks.ts";

const world = Effect.gen(function* () {
  const orgA = yield* InMemory.seedOrganization({ name: "A" });
  const orgB = yield* InMemory.seedOrganization({ name: "B" });
  return { orgA, orgB, keyA: organizationKey(orgA.id), keyB: organizationKey(orgB.id) };
});

const types = (before: InMemory.StoreState) => Effect.map(eventsSince(before), (es) => es.map((e) => e.type));

describe("webhooks", () => {
  it.effect("create answers the whsec_ secret once; the endpoint belongs to the key's organization", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, keyA } = yield* world;
        const before = yield* InMemory.snapshot;
        const created = yield* createWebhook(keyA, {
          url: "https://hooks.example.com/admit",
          eventTypes: ["invite.created"],
        });
        expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
        expect(created).toMatchObject({ organizationId: orgA.id, enabled: true, eventTypes: ["invite.created"] });
        expect(yield* types(before)).toEqual(["webhook.created"]);
        const events = yield* eventsSince(before);
        expect(JSON.stringify(events)).not.toContain(created.secret);
        const read = yield* getWebhook(keyA, { webhookId: created.id });
        expect(read).not.toHaveProperty("secret");
        expect((yield* listWebhooks(keyA, { cursor: null, limit: 50 })).items.map((e) => e.id)).toEqual([created.id]);
      }),
    ),
  );

  it.effect("bad input and other tenants are refused, naming the field, writing nothing", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgB, keyA } = yield* world;
        const http = yield* refusal(createWebhook(keyA, { url: "http://hooks.example.com/" }));
        expect(http).toMatchObject({ _tag: "InvalidInput", fieldErrors: { url: ["Must be https"] } });
        const privateUrl = yield* refusal(createWebhook(keyA, { url: "https://10.0.0.8/hook" }));
        expect(privateUrl).toMatchObject({
          _tag: "InvalidInput",
          fieldErrors: { url: [expect.stringContaining("private")] },
        });
        const unknown = yield* refusal(
          createWebhook(keyA, { url: "https://ok.example.com/", eventTypes: ["invite.created", "nope" as never] }),
        );
        expect(unknown).toMatchObject({
          _tag: "InvalidInput",
          fieldErrors: { "eventTypes.1": ["Unknown event type"] },
        });
        const foreign = yield* refusal(
          createWebhook(keyA, { organizationId: orgB.id, url: "https://ok.example.com/" }),
        );
        const missing = yield* refusal(
          createWebhook(keyA, { organizationId: MISSING, url: "https://ok.example.com/" }),
        );
        expect(foreign).toEqual(missing);
        expect(foreign).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
        const ofB = yield* createWebhook(rootKey, { organizationId: orgB.id, url: "https://b.example.com/" });
        const calls: ReadonlyArray<Effect.Effect<unknown, unknown, InMemory.Services>> = [
          getWebhook(keyA, { webhookId: ofB.id }),
          updateWebhook(keyA, { webhookId: ofB.id, enabled: false }),
          deleteWebhook(keyA, { webhookId: ofB.id }),
          rotateWebhookSecret(keyA, { webhookId: ofB.id }),
          testWebhook(keyA, { webhookId: ofB.id }),
          listWebhookAttempts(keyA, { webhookId: ofB.id, cursor: null, limit: 10 }),
        ];
        for (const call of calls) {
          expect(yield* refusal(call)).toMatchObject({ _tag: "NotFound", reason: "webhook_not_found" });
        }
        yield* refusal(updateWebhook(rootKey, { webhookId: ofB.id, url: "http://b.example.com/" }));
      }),
    ),
  );

  it.effect("update, rotateSecret (old secret valid 24 h), test, delete and disable record their events", () =>
    inTestStore(
      Effect.gen(function* () {
        const { keyA } = yield* world;
        const created = yield* createWebhook(keyA, { url: "https://hooks.example.com/" });
        let before = yield* InMemory.snapshot;
        const updated = yield* updateWebhook(keyA, { webhookId: created.id, eventTypes: ["member.added"] });
        expect(updated.eventTypes).toEqual(["member.added"]);
        const rotated = yield* rotateWebhookSecret(keyA, { webhookId: created.id });
        expect(rotated.secret).not.toBe(created.secret);
        const row = (yield* InMemory.snapshot).webhooks.find((w) => w.id === created.id);
        expect(row?.previousSecret).toBe(created.secret);
        expect(row?.previousSecretExpiresAt?.getTime()).toBe(rotated.previousSecretExpiresAt.getTime());
        expect(rotated.previousSecretExpiresAt.getTime() - Date.now()).toBeLessThanOrEqual(PREVIOUS_SECRET_VALIDITY_MS);
        yield* testWebhook(keyA, { webhookId: created.id });
        expect(yield* types(before)).toEqual(["webhook.updated", "webhook.secret_rotated", "webhook.test"]);
        const test = (yield* eventsSince(before)).at(-1);
        expect(test?.data.webhookId).toBe(created.id);
        before = yield* InMemory.snapshot;
        expect(yield* disableWebhook(created.id, "failing for 5 days")).toBe(true);
        expect(yield* disableWebhook(created.id, "failing for 5 days")).toBe(false);
        expect(yield* getWebhook(keyA, { webhookId: created.id })).toMatchObject({
          enabled: false,
          disabledReason: "failing for 5 days",
        });
        yield* deleteWebhook(keyA, { webhookId: created.id });
        const last = yield* eventsSince(before);
        expect(last.map((e) => [e.type, e.actor.kind])).toEqual([
          ["webhook.disabled", "system"],
          ["webhook.deleted", "api_key"],
        ]);
        yield* refusal(getWebhook(globalKey(), { webhookId: created.id }));
      }),
    ),
  );

  it.effect("an endpoint without organization needs a global key and lists across organizations", () =>
    inTestStore(
      Effect.gen(function* () {
        const { keyA } = yield* world;
        const platform = yield* createWebhook(rootKey, { url: "https://all.example.com/" });
        expect(platform.organizationId).toBeNull();
        const own = yield* createWebhook(keyA, { url: "https://a.example.com/" });
        expect((yield* listWebhooks(rootKey, { cursor: null, limit: 50 })).items.map((e) => e.id)).toEqual([
          own.id,
          platform.id,
        ]);
        expect((yield* listWebhooks(keyA, { cursor: null, limit: 50 })).items.map((e) => e.id)).toEqual([own.id]);
        yield* refusal(getWebhook(keyA, { webhookId: platform.id }));
      }),
    ),
  );

  it.effect("testing a disabled endpoint is refused (nothing would be sent) and records nothing", () =>
    inTestStore(
      Effect.gen(function* () {
        const { keyA } = yield* world;
        const created = yield* createWebhook(keyA, { url: "https://hooks.example.com/" });
        yield* updateWebhook(keyA, { webhookId: created.id, enabled: false });
        const before = yield* InMemory.snapshot;
        const refused = yield* refusal(testWebhook(keyA, { webhookId: created.id }));
        expect(refused).toMatchObject({ _tag: "Conflict", reason: "webhook_disabled" });
        expect(yield* types(before)).toEqual([]);
        yield* updateWebhook(keyA, { webhookId: created.id, enabled: true });
        expect(yield* testWebhook(keyA, { webhookId: created.id })).toEqual({ success: true });
      }),
    ),
  );
});

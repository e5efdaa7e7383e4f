import { Effect, Layer, Ref } from "effect";
import { type WebhookEndpoint, WebhookRepository } from "../../webhooks/WebhookRepository.ts";
import { paginateNewestFirst, read, Store, type WebhookRow, write } from "./Store.ts";

const publicWebhook = ({
  secret: _,
  previousSecret: __,
  previousSecretExpiresAt: ___,
  ...e
}: WebhookRow): WebhookEndpoint => e;

/** Secrets `whsec_` + base64 of a counter, shaped like the real ones. */
export const WebhookRepositoryTest = Layer.effect(
  WebhookRepository,
  Effect.gen(function* () {
    const store = yield* Store;
    const r = read(store);
    const w = write(store);
    const counter = yield* Ref.make(0);
    const nextSecret = Ref.modify(counter, (n) => [
      `whsec_${btoa(`test-webhook-secret-${String(n + 1).padStart(12, "0")}`)}`,
      n + 1,
    ]);
    return WebhookRepository.of({
      create: (endpoint) =>
        Effect.flatMap(nextSecret, (secret) =>
          w("WebhookRepository.create", (s, at) => {
            if (endpoint.organizationId !== null && !s.organizations.some((o) => o.id === endpoint.organizationId)) {
              throw new Error(`webhook_endpoints.organization_id: no organization ${endpoint.organizationId}`);
            }
            const row: WebhookRow = {
              ...endpoint,
              enabled: true,
              disabledReason: null,
              createdAt: at,
              updatedAt: at,
              secret,
              previousSecret: null,
              previousSecretExpiresAt: null,
            };
            return [
              { endpoint: publicWebhook(row), secret },
              { ...s, webhooks: [...s.webhooks, row] },
            ];
          }),
        ),
      get: (id) =>
        r("WebhookRepository.get", (s) => {
          const row = s.webhooks.find((e) => e.id === id);
          return row ? publicWebhook(row) : null;
        }),
      list: (organizationId, page) =>
        r("WebhookRepository.list", (s) =>
          paginateNewestFirst(
            s.webhooks.filter((e) => organizationId === null || e.organizationId === organizationId).map(publicWebhook),
            page,
          ),
        ),
      update: (id, changes) =>
        w("WebhookRepository.update", (s, at) => {
          const row = s.webhooks.find((e) => e.id === id);
          if (!row) return [null, s];
          const enabled = changes.enabled ?? row.enabled;
          const updated: WebhookRow = {
            ...row,
            url: changes.url ?? row.url,
            eventTypes: changes.eventTypes ?? row.eventTypes,
            description: changes.description === undefined ? row.description : changes.description,
            enabled,
            disabledReason: enabled ? null : (changes.disabledReason ?? row.disabledReason),
            updatedAt: at,
          };
          return [publicWebhook(updated), { ...s, webhooks: s.webhooks.map((e) => (e.id === id ? updated : e)) }];
        }),
      // Its attempts go with it, as the foreign key's cascade has it.
      delete: (id) =>
        w("WebhookRepository.delete", (s) => [
          s.webhooks.some((e) => e.id === id),
          {
            ...s,
            webhooks: s.webhooks.filter((e) => e.id !== id),
            webhookAttempts: s.webhookAttempts.filter((a) => a.webhookId !== id),
          },
        ]),
      rotateSecret: (id, previousUntil) =>
        Effect.flatMap(nextSecret, (secret) =>
          w("WebhookRepository.rotateSecret", (s, at) => {
            const row = s.webhooks.find((e) => e.id === id);
            if (!row) return [null, s];
            const rotated: WebhookRow = {
              ...row,
              secret,
              previousSecret: row.secret,
              previousSecretExpiresAt: previousUntil,
              updatedAt: at,
            };
            return [secret, { ...s, webhooks: s.webhooks.map((e) => (e.id === id ? rotated : e)) }];
          }),
        ),
      attempts: (webhookId, page) =>
        r("WebhookRepository.attempts", (s) =>
          paginateNewestFirst(
            s.webhookAttempts.filter((a) => a.webhookId === webhookId).map(({ webhookId: _, ...a }) => a),
            page,
          ),
        ),
    });
  }),
);

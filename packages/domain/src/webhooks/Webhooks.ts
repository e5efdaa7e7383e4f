import { Clock, Effect } from "effect";
import { canActInOrganization } from "../access/Access.ts";
import type { Principal } from "../access/Principal.ts";
import { Conflict, Forbidden, InvalidInput, NotFound } from "../errors/Errors.ts";
import { type Actor, actorOf, type EventType, isEventType, type NewEvent } from "../events/Event.ts";
import { emit } from "../events/Events.ts";
import type { PageRequest } from "../members/MembershipRepository.ts";
import { IdGenerator } from "../shared/IdGenerator.ts";
import { Transactor } from "../shared/Transactor.ts";
import { TenancyRepository } from "../tenancy/TenancyRepository.ts";
import { type WebhookEndpoint, WebhookRepository, WebhookUrlPolicy } from "./WebhookRepository.ts";

/** How long the secret before a rotation keeps signing, so receivers can roll over. */
export const PREVIOUS_SECRET_VALIDITY_MS = 24 * 3_600_000;

const webhookNotFound = () => new NotFound({ reason: "webhook_not_found" });

const webhookEvent = (
  type: EventType,
  actor: Actor,
  endpoint: WebhookEndpoint,
  extra: Readonly<Record<string, unknown>> = {},
): NewEvent => ({
  type,
  organizationId: endpoint.organizationId,
  actor,
  subject: { type: "webhook", id: endpoint.id },
  data: {
    webhookId: endpoint.id,
    url: endpoint.url,
    eventTypes: endpoint.eventTypes,
    enabled: endpoint.enabled,
    ...extra,
  },
});

/** The endpoint when the principal may manage it; another tenant's answers like a missing one. */
const visibleEndpoint = Effect.fn("Webhooks.visible")(function* (principal: Principal, webhookId: string) {
  const endpoint = yield* (yield* WebhookRepository).get(webhookId);
  if (endpoint === null) return yield* webhookNotFound();
  const visible =
    principal.kind === "global" ||
    (principal.kind === "organization" && endpoint.organizationId === principal.organizationId);
  if (!visible) return yield* webhookNotFound();
  return endpoint;
});

const checkUrl = Effect.fn("Webhooks.checkUrl")(function* (url: string) {
  const problem = yield* (yield* WebhookUrlPolicy).check(url);
  if (problem !== null) return yield* new InvalidInput({ message: "Invalid input", fieldErrors: { url: [problem] } });
});

const checkTypes = (types: ReadonlyArray<string> | undefined) => {
  const bad = (types ?? []).flatMap((t, i) => (isEventType(t) ? [] : [i]));
  return bad.length === 0
    ? Effect.void
    : Effect.fail(
        new InvalidInput({
          message: "Invalid input",
          fieldErrors: Object.fromEntries(bad.map((i) => [`eventTypes.${i}`, ["Unknown event type"]])),
        }),
      );
};

export interface CreateWebhookInput {
  readonly organizationId?: string | undefined;
  readonly url: string;
  readonly eventTypes?: ReadonlyArray<EventType> | undefined;
  readonly description?: string | undefined;
}

/** `webhooks.create`: answers the endpoint and its signing secret, the only time it is shown. */
export const createWebhook = Effect.fn("Webhooks.create")(function* (principal: Principal, input: CreateWebhookInput) {
  if (principal.kind === "user") return yield* new Forbidden({ reason: "api_key_required" });
  yield* checkTypes(input.eventTypes);
  let organizationId: string | null = input.organizationId ?? null;
  if (principal.kind === "organization") {
    organizationId ??= principal.organizationId;
  }
  if (organizationId !== null) {
    const org = canActInOrganization(principal, organizationId)
      ? yield* (yield* TenancyRepository).getOrganization(organizationId)
      : null;
    if (org === null) return yield* new NotFound({ reason: "organization_not_found" });
  }
  yield* checkUrl(input.url);
  const webhooks = yield* WebhookRepository;
  const id = yield* (yield* IdGenerator).next;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const created = yield* webhooks.create({
        id,
        organizationId,
        url: input.url,
        eventTypes: [...new Set(input.eventTypes ?? [])],
        description: input.description?.trim() || null,
      });
      yield* emit([webhookEvent("webhook.created", actorOf(principal), created.endpoint)]);
      return { ...created.endpoint, secret: created.secret };
    }),
  );
});

export const getWebhook = Effect.fn("Webhooks.get")(function* (principal: Principal, input: { webhookId: string }) {
  return yield* visibleEndpoint(principal, input.webhookId);
});

export const listWebhooks = Effect.fn("Webhooks.list")(function* (
  principal: Principal,
  input: { organizationId?: string | undefined } & PageRequest,
) {
  if (principal.kind === "user") return yield* new Forbidden({ reason: "api_key_required" });
  if (principal.kind === "organization") {
    if (input.organizationId !== undefined && input.organizationId !== principal.organizationId) {
      return yield* new NotFound({ reason: "organization_not_found" });
    }
    return yield* (yield* WebhookRepository).list(principal.organizationId, input);
  }
  return yield* (yield* WebhookRepository).list(input.organizationId ?? null, input);
});

export interface UpdateWebhookInput {
  readonly webhookId: string;
  readonly url?: string | undefined;
  readonly eventTypes?: ReadonlyArray<EventType> | undefined;
  readonly description?: string | null | undefined;
  readonly enabled?: boolean | undefined;
}

export const updateWebhook = Effect.fn("Webhooks.update")(function* (principal: Principal, input: UpdateWebhookInput) {
  yield* checkTypes(input.eventTypes);
  yield* visibleEndpoint(principal, input.webhookId);
  if (input.url !== undefined) yield* checkUrl(input.url);
  const webhooks = yield* WebhookRepository;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const updated = yield* webhooks.update(input.webhookId, {
        url: input.url,
        eventTypes: input.eventTypes === undefined ? undefined : [...new Set(input.eventTypes)],
        description: input.description === undefined ? undefined : input.description?.trim() || null,
        enabled: input.enabled,
      });
      if (updated === null) return yield* webhookNotFound();
      yield* emit([webhookEvent("webhook.updated", actorOf(principal), updated)]);
      return updated;
    }),
  );
});

export const deleteWebhook = Effect.fn("Webhooks.delete")(function* (
  principal: Principal,
  input: { webhookId: string },
) {
  const endpoint = yield* visibleEndpoint(principal, input.webhookId);
  const webhooks = yield* WebhookRepository;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      if (!(yield* webhooks.delete(endpoint.id))) return yield* webhookNotFound();
      yield* emit([webhookEvent("webhook.deleted", actorOf(principal), endpoint)]);
      return { success: true as const };
    }),
  );
});

/** `webhooks.rotateSecret`: a new secret, shown once; the old one signs too for 24 hours. */
export const rotateWebhookSecret = Effect.fn("Webhooks.rotateSecret")(function* (
  principal: Principal,
  input: { webhookId: string },
) {
  const endpoint = yield* visibleEndpoint(principal, input.webhookId);
  const webhooks = yield* WebhookRepository;
  const now = yield* Clock.currentTimeMillis;
  const previousSecretExpiresAt = new Date(now + PREVIOUS_SECRET_VALIDITY_MS);
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const secret = yield* webhooks.rotateSecret(endpoint.id, previousSecretExpiresAt);
      if (secret === null) return yield* webhookNotFound();
      yield* emit([
        webhookEvent("webhook.secret_rotated", actorOf(principal), endpoint, {
          previousSecretExpiresAt: previousSecretExpiresAt.toISOString(),
        }),
      ]);
      return { ...endpoint, secret, previousSecretExpiresAt };
    }),
  );
});

/** `webhooks.test`: records a `webhook.test` event that only this endpoint receives. */
export const testWebhook = Effect.fn("Webhooks.test")(function* (principal: Principal, input: { webhookId: string }) {
  const endpoint = yield* visibleEndpoint(principal, input.webhookId);
  // A disabled endpoint receives nothing: a test event would be recorded and never sent.
  if (!endpoint.enabled) return yield* new Conflict({ reason: "webhook_disabled" });
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      yield* emit([webhookEvent("webhook.test", actorOf(principal), endpoint)]);
      return { success: true as const };
    }),
  );
});

export const listWebhookAttempts = Effect.fn("Webhooks.attempts")(function* (
  principal: Principal,
  input: { webhookId: string } & PageRequest,
) {
  const endpoint = yield* visibleEndpoint(principal, input.webhookId);
  return yield* (yield* WebhookRepository).attempts(endpoint.id, input);
});

/** The worker gave up on an endpoint failing for days: disabled, and an event says so. */
export const disableWebhook = Effect.fn("Webhooks.disable")(function* (webhookId: string, reason: string) {
  const webhooks = yield* WebhookRepository;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const endpoint = yield* webhooks.get(webhookId);
      if (endpoint === null || !endpoint.enabled) return false;
      const updated = yield* webhooks.update(webhookId, { enabled: false, disabledReason: reason });
      if (updated === null) return false;
      yield* emit([webhookEvent("webhook.disabled", { kind: "system", id: null }, updated, { reason })]);
      return true;
    }),
  );
});

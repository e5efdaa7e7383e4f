import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";
import type { EventType } from "../events/Event.ts";
import type { Page, PageRequest } from "../members/MembershipRepository.ts";

export interface WebhookEndpoint {
  readonly id: string;
  /** Null: a platform endpoint (global key only) that receives every organization's events. */
  readonly organizationId: string | null;
  readonly url: string;
  /** The event types it receives; empty means all. */
  readonly eventTypes: ReadonlyArray<EventType>;
  readonly description: string | null;
  readonly enabled: boolean;
  /** Why it was disabled, when the worker disabled it. */
  readonly disabledReason: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface WebhookAttempt {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly attempt: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
  readonly createdAt: Date;
}

export interface WebhookChanges {
  readonly url?: string | undefined;
  readonly eventTypes?: ReadonlyArray<EventType> | undefined;
  readonly description?: string | null | undefined;
  readonly enabled?: boolean | undefined;
  /** Kept with `enabled: false` when the worker disables it; cleared when it is enabled again. */
  readonly disabledReason?: string | undefined;
}

/**
 * Webhook endpoints. The adapter generates signing secrets (`whsec_…`, 256 random bits) and
 * stores them sealed: the worker needs them in clear to sign, nobody else ever reads them.
 */
export class WebhookRepository extends Context.Service<
  WebhookRepository,
  {
    create(endpoint: {
      id: string;
      organizationId: string | null;
      url: string;
      eventTypes: ReadonlyArray<EventType>;
      description: string | null;
    }): Effect.Effect<{ endpoint: WebhookEndpoint; secret: string }, RepositoryError>;
    get(id: string): Effect.Effect<WebhookEndpoint | null, RepositoryError>;
    /** `organizationId` null lists every endpoint (a global key). */
    list(organizationId: string | null, page: PageRequest): Effect.Effect<Page<WebhookEndpoint>, RepositoryError>;
    update(id: string, changes: WebhookChanges): Effect.Effect<WebhookEndpoint | null, RepositoryError>;
    delete(id: string): Effect.Effect<boolean, RepositoryError>;
    /** A new secret; the current one stays valid (both signatures sent) until `previousUntil`. */
    rotateSecret(id: string, previousUntil: Date): Effect.Effect<string | null, RepositoryError>;
    attempts(webhookId: string, page: PageRequest): Effect.Effect<Page<WebhookAttempt>, RepositoryError>;
  }
>()("@admit/domain/WebhookRepository") {}

/**
 * Whether a webhook URL may be called: https (plain http only for allowed hosts), and a host that
 * does not resolve to a private, loopback or link-local address unless allowed. Answers the
 * problem in words, or null.
 */
export class WebhookUrlPolicy extends Context.Service<
  WebhookUrlPolicy,
  { check(url: string): Effect.Effect<string | null> }
>()("@admit/domain/WebhookUrlPolicy") {}

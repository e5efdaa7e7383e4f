import { Context, Effect, type Layer } from "effect";
import { describe, it } from "vitest";
import type { DeliveryOutbox } from "../../deliveries/DeliveryOutbox.ts";
import type { DeliveryReportRepository } from "../../deliveries/DeliveryReportRepository.ts";
import type { DeliveryRepository } from "../../deliveries/DeliveryRepository.ts";
import type { RepositoryError } from "../../errors/Errors.ts";
import type { EventLog } from "../../events/EventLog.ts";
import type { DirectInviteStore } from "../../invites/DirectInviteStore.ts";
import type { EmailInviteStore } from "../../invites/EmailInviteStore.ts";
import type { ExpiredInvites } from "../../invites/ExpiredInvites.ts";
import type { InviteAnswerStore } from "../../invites/InviteAnswerStore.ts";
import type { InviteRepository } from "../../invites/InviteRepository.ts";
import type { LinkInviteRepository } from "../../links/LinkInviteRepository.ts";
import type { MembershipRepository, Page, PageRequest } from "../../members/MembershipRepository.ts";
import type { EmailQuotaCounter } from "../../quotas/EmailQuotaCounter.ts";
import type { IdGenerator } from "../../shared/IdGenerator.ts";
import type { TokenGenerator } from "../../shared/TokenGenerator.ts";
import type { Transactor } from "../../shared/Transactor.ts";
import type { TargetRepository } from "../../targets/TargetRepository.ts";
import type { ApiKeyRepository } from "../../tenancy/ApiKeyRepository.ts";
import type { TenancyRepository } from "../../tenancy/TenancyRepository.ts";
import type { UserRepository } from "../../users/UserRepository.ts";
import type { UserTokenRepository } from "../../users/UserTokenRepository.ts";
import type { WebhookAttempt, WebhookRepository } from "../../webhooks/WebhookRepository.ts";

/**
 * What a contract needs written that no port writes (the worker records webhook attempts on its
 * own): each adapter set writes it its own way, into the same store its ports read.
 */
export class ContractSeeds extends Context.Service<
  ContractSeeds,
  {
    /** One attempt to deliver an event to an endpoint, as the worker records it; answers its id. */
    webhookAttempt(
      webhookId: string,
      attempt: Omit<WebhookAttempt, "id" | "createdAt">,
    ): Effect.Effect<string, RepositoryError>;
  }
>()("@admit/domain/testing/ContractSeeds") {}

/** The ports the contracts exercise, and that every adapter set under test provides. */
export type ContractPorts =
  | InviteAnswerStore
  | ApiKeyRepository
  | ContractSeeds
  | DeliveryOutbox
  | DeliveryReportRepository
  | DeliveryRepository
  | EmailQuotaCounter
  | EventLog
  | ExpiredInvites
  | DirectInviteStore
  | EmailInviteStore
  | InviteRepository
  | Transactor
  | IdGenerator
  | LinkInviteRepository
  | MembershipRepository
  | TargetRepository
  | TenancyRepository
  | TokenGenerator
  | UserRepository
  | UserTokenRepository
  | WebhookRepository;

/**
 * One adapter set under test: its name, and a layer of every port over the same store. The
 * layer is asked for inside each test, so an in-memory set starts empty every time; a database
 * set is shared, so a contract only ever reads back what it wrote itself.
 */
export interface AdapterSet {
  readonly name: string;
  readonly layer: () => Layer.Layer<ContractPorts, unknown>;
}

/** One case of a contract: a generator of effects over the ports, as `Effect.gen` runs it. */
export type ContractCase = () => Generator<Effect.Effect<unknown, unknown, ContractPorts>, unknown, never>;

/**
 * A port's contract: its cases, stated once, and run as one `describe` block per adapter set,
 * each case on a fresh layer of that set.
 */
export const contract =
  (port: string, cases: (it: (name: string, body: ContractCase) => void) => void) => (adapters: AdapterSet) =>
    describe(`${port} (${adapters.name})`, () => {
      cases((name, body) =>
        it(name, () =>
          Effect.runPromise(Effect.gen(body).pipe(Effect.provide(adapters.layer())) as Effect.Effect<unknown, unknown>),
        ),
      );
    });

/** Rows written this many milliseconds apart get distinct creation times, in memory and in PostgreSQL. */
export const tick = Effect.sleep("3 millis");

/** `make` of each item, one after another, each written at a later instant than the last; what each made. */
export const inTurn = <I, A, E, R>(items: ReadonlyArray<I>, make: (item: I) => Effect.Effect<A, E, R>) =>
  Effect.forEach(items, (item) => Effect.tap(make(item), () => tick));

/** A fresh email, unique across runs sharing a database. */
export const freshEmail = (label: string) =>
  `${label}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}@example.com`;

/** The keyset order of every list: newest first, then the greater id first among rows of one instant. */
export const newestFirst = <T extends { readonly id: string }>(
  items: ReadonlyArray<T>,
  at: (item: T) => Date,
): ReadonlyArray<T> =>
  [...items].sort((a, b) => at(b).getTime() - at(a).getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));

/**
 * Every page of a list, `limit` at a time, until it answers no next cursor, or until `enough` of
 * what it has read (through a table other runs share, once a case has seen its own rows).
 */
export const allPages = <T, E, R>(
  list: (page: PageRequest) => Effect.Effect<Page<T>, E, R>,
  limit: number,
  enough: (read: ReadonlyArray<T>) => boolean = () => false,
): Effect.Effect<ReadonlyArray<ReadonlyArray<T>>, E, R> =>
  Effect.gen(function* () {
    const pages: Array<ReadonlyArray<T>> = [];
    let cursor: string | null = null;
    do {
      const page: Page<T> = yield* list({ cursor, limit });
      pages.push(page.items);
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < 100 && !enough(pages.flat()));
    return pages;
  });

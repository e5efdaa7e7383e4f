import { Effect, type Layer } from "effect";
import type { DeliveryRepository } from "../../deliveries/DeliveryRepository.ts";
import type { EventLog } from "../../events/EventLog.ts";
import type { DirectInviteStore } from "../../invites/DirectInviteStore.ts";
import type { EmailInviteStore } from "../../invites/EmailInviteStore.ts";
import type { InviteAnswerStore } from "../../invites/InviteAnswerStore.ts";
import type { InviteRepository } from "../../invites/InviteRepository.ts";
import type { MembershipRepository } from "../../members/MembershipRepository.ts";
import type { IdGenerator } from "../../shared/IdGenerator.ts";
import type { TokenGenerator } from "../../shared/TokenGenerator.ts";
import type { Transactor } from "../../shared/Transactor.ts";
import type { TargetRepository } from "../../targets/TargetRepository.ts";
import type { ApiKeyRepository } from "../../tenancy/ApiKeyRepository.ts";
import type { TenancyRepository } from "../../tenancy/TenancyRepository.ts";
import type { UserRepository } from "../../users/UserRepository.ts";

/** The ports the contracts exercise, and that every adapter set under test provides. */
export type ContractPorts =
  | InviteAnswerStore
  | ApiKeyRepository
  | DeliveryRepository
  | DirectInviteStore
  | EmailInviteStore
  | EventLog
  | InviteRepository
  | TokenGenerator
  | Transactor
  | IdGenerator
  | MembershipRepository
  | TargetRepository
  | TenancyRepository
  | UserRepository;

/**
 * One adapter set under test: its name, and a layer of every port over the same store. The
 * layer is asked for inside each test, so an in-memory set starts empty every time; a database
 * set is shared, so a contract only ever reads back what it wrote itself.
 */
export interface AdapterSet {
  readonly name: string;
  readonly layer: () => Layer.Layer<ContractPorts, unknown>;
}

export const runIn =
  (adapters: AdapterSet) =>
  <A, E>(self: Effect.Effect<A, E, ContractPorts>): Promise<A> =>
    Effect.runPromise(self.pipe(Effect.provide(adapters.layer())) as Effect.Effect<A, unknown>);

/** Rows written this many milliseconds apart get distinct creation times, in memory and in PostgreSQL. */
export const tick = Effect.sleep("3 millis");

/** A fresh email, unique across runs sharing a database. */
export const freshEmail = (label: string) =>
  `${label}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}@example.com`;

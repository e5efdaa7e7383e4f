/**
 * In-memory implementations of every domain port, sharing one immutable store, for domain tests.
 * The store and its fault injection are in `inMemory/Store.ts`; each adapter has its own file
 * next to it, and `inMemory/seed.ts` writes a world straight into the store.
 */
import { Layer } from "effect";
import { ApiKeyRepositoryTest } from "./inMemory/ApiKeyRepository.ts";
import { DeliveryOutboxTest } from "./inMemory/DeliveryOutbox.ts";
import { DeliveryReportRepositoryTest } from "./inMemory/DeliveryReportRepository.ts";
import { DeliveryRepositoryTest } from "./inMemory/DeliveryRepository.ts";
import { DirectInviteStoreTest } from "./inMemory/DirectInviteStore.ts";
import { EmailInviteStoreTest } from "./inMemory/EmailInviteStore.ts";
import { EmailQuotaCounterTest } from "./inMemory/EmailQuotaCounter.ts";
import { EventLogTest } from "./inMemory/EventLog.ts";
import { ExpiredInvitesTest } from "./inMemory/ExpiredInvites.ts";
import { IdGeneratorTest } from "./inMemory/IdGenerator.ts";
import { InviteAnswerStoreTest } from "./inMemory/InviteAnswerStore.ts";
import { InviteRepositoryTest } from "./inMemory/InviteRepository.ts";
import { LinkInviteRepositoryTest } from "./inMemory/LinkInviteRepository.ts";
import { MembershipRepositoryTest } from "./inMemory/MembershipRepository.ts";
import { Store } from "./inMemory/Store.ts";
import { TargetRepositoryTest } from "./inMemory/TargetRepository.ts";
import { TenancyRepositoryTest } from "./inMemory/TenancyRepository.ts";
import { TokenGeneratorTest } from "./inMemory/TokenGenerator.ts";
import { TransactorTest } from "./inMemory/Transactor.ts";
import { UserRepositoryTest } from "./inMemory/UserRepository.ts";
import { UserTokenRepositoryTest } from "./inMemory/UserTokenRepository.ts";
import { WebhookRepositoryTest } from "./inMemory/WebhookRepository.ts";
import { WebhookUrlPolicyTest } from "./inMemory/WebhookUrlPolicy.ts";

export { ApiKeyRepositoryTest } from "./inMemory/ApiKeyRepository.ts";
export { DeliveryOutboxTest } from "./inMemory/DeliveryOutbox.ts";
export { DeliveryReportRepositoryTest } from "./inMemory/DeliveryReportRepository.ts";
export { DeliveryRepositoryTest } from "./inMemory/DeliveryRepository.ts";
export { DirectInviteStoreTest } from "./inMemory/DirectInviteStore.ts";
export { EmailInviteStoreTest } from "./inMemory/EmailInviteStore.ts";
export { EmailQuotaCounterTest } from "./inMemory/EmailQuotaCounter.ts";
export { EventLogTest } from "./inMemory/EventLog.ts";
export { ExpiredInvitesTest } from "./inMemory/ExpiredInvites.ts";
export { IdGeneratorTest } from "./inMemory/IdGenerator.ts";
export { InviteAnswerStoreTest } from "./inMemory/InviteAnswerStore.ts";
export { InviteRepositoryTest } from "./inMemory/InviteRepository.ts";
export { LinkInviteRepositoryTest } from "./inMemory/LinkInviteRepository.ts";
export { MembershipRepositoryTest } from "./inMemory/MembershipRepository.ts";
export {
  type ApiKeyRow,
  clearFaults,
  type DeliveryRow,
  type EmailQuotaWindowRow,
  emptyState,
  failOn,
  type GroupWebsiteRow,
  type InviteRow,
  inviteRecord,
  type LinkInviteRow,
  type MembershipRow,
  type Operation,
  paginateNewestFirst,
  Store,
  type StoreState,
  snapshot,
  type UserRow,
  type UserTokenRow,
  type WebhookRow,
} from "./inMemory/Store.ts";
export * from "./inMemory/seed.ts";
export { TargetRepositoryTest } from "./inMemory/TargetRepository.ts";
export { TenancyRepositoryTest } from "./inMemory/TenancyRepository.ts";
export { TokenGeneratorTest } from "./inMemory/TokenGenerator.ts";
export { TransactorTest } from "./inMemory/Transactor.ts";
export { UserRepositoryTest } from "./inMemory/UserRepository.ts";
export { UserTokenRepositoryTest } from "./inMemory/UserTokenRepository.ts";
export { WebhookRepositoryTest } from "./inMemory/WebhookRepository.ts";
export { WebhookUrlPolicyTest } from "./inMemory/WebhookUrlPolicy.ts";

/** The repositories and the transactor, over one store; needs `Store` and `IdGenerator`. */
export const layerRepositories = Layer.mergeAll(
  TransactorTest,
  EmailQuotaCounterTest,
  TargetRepositoryTest,
  UserRepositoryTest,
  MembershipRepositoryTest,
  InviteRepositoryTest,
  DeliveryRepositoryTest,
  DeliveryOutboxTest,
  DeliveryReportRepositoryTest,
  DirectInviteStoreTest,
  InviteAnswerStoreTest,
  EmailInviteStoreTest,
  TenancyRepositoryTest,
  ApiKeyRepositoryTest,
  UserTokenRepositoryTest,
  LinkInviteRepositoryTest,
  EventLogTest,
  ExpiredInvitesTest,
  WebhookRepositoryTest,
  WebhookUrlPolicyTest,
);

/** Every port over one fresh, empty store, plus the `Store` itself for reading and seeding. */
export const layerTest = layerRepositories.pipe(
  Layer.provideMerge(Layer.mergeAll(Store.layer, IdGeneratorTest, TokenGeneratorTest)),
);

/** Everything `layerTest` provides. */
export type Services = Layer.Success<typeof layerTest>;

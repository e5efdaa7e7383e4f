import { apiKeyRepositoryContract } from "./ApiKeyRepository.contract.ts";
import { deliveryOutboxContract } from "./DeliveryOutbox.contract.ts";
import { deliveryReportRepositoryContract } from "./DeliveryReportRepository.contract.ts";
import { deliveryRepositoryContract } from "./DeliveryRepository.contract.ts";
import { directInviteStoreContract } from "./DirectInviteStore.contract.ts";
import { emailInviteStoreContract } from "./EmailInviteStore.contract.ts";
import { emailQuotaCounterContract } from "./EmailQuotaCounter.contract.ts";
import { eventLogAppendContract, eventLogContract } from "./EventLog.contract.ts";
import { expiredInvitesContract } from "./ExpiredInvites.contract.ts";
import type { AdapterSet } from "./harness.ts";
import { inviteAnswerStoreContract } from "./InviteAnswerStore.contract.ts";
import { inviteRepositoryContract, inviteRepositoryWritesContract } from "./InviteRepository.contract.ts";
import { linkInviteRepositoryContract } from "./LinkInviteRepository.contract.ts";
import { membershipRepositoryContract } from "./MembershipRepository.contract.ts";
import { targetRepositoryContract } from "./TargetRepository.contract.ts";
import { tenancyRepositoryContract } from "./TenancyRepository.contract.ts";
import { userRepositoryContract } from "./UserRepository.contract.ts";
import { userTokenRepositoryContract } from "./UserTokenRepository.contract.ts";
import { webhookRepositoryContract } from "./WebhookRepository.contract.ts";

export { type AdapterSet, type ContractPorts, ContractSeeds } from "./harness.ts";

/**
 * Every port contract: what any adapter of the port must do, written once and run against the
 * in-memory adapters (packages/domain) and the PostgreSQL ones (packages/db).
 */
export const portContracts = (adapters: AdapterSet) => {
  inviteAnswerStoreContract(adapters);
  apiKeyRepositoryContract(adapters);
  deliveryOutboxContract(adapters);
  deliveryReportRepositoryContract(adapters);
  eventLogContract(adapters);
  eventLogAppendContract(adapters); // being reworked with the write paths below
  expiredInvitesContract(adapters);
  inviteRepositoryContract(adapters);
  inviteRepositoryWritesContract(adapters); // being reworked with the write paths below
  linkInviteRepositoryContract(adapters);
  directInviteStoreContract(adapters);
  emailInviteStoreContract(adapters);
  membershipRepositoryContract(adapters);
  targetRepositoryContract(adapters);
  tenancyRepositoryContract(adapters);
  userRepositoryContract(adapters);
  userTokenRepositoryContract(adapters);
  webhookRepositoryContract(adapters);
  // Write paths being reworked into fewer statements (see each suite): adjusted together.
  deliveryRepositoryContract(adapters);
  emailQuotaCounterContract(adapters);
};

import { apiKeyRepositoryContract } from "./ApiKeyRepository.contract.ts";
import { directInviteStoreContract } from "./DirectInviteStore.contract.ts";
import { emailInviteStoreContract } from "./EmailInviteStore.contract.ts";
import type { AdapterSet } from "./harness.ts";
import { inviteAnswerStoreContract } from "./InviteAnswerStore.contract.ts";
import { membershipRepositoryContract } from "./MembershipRepository.contract.ts";
import { targetRepositoryContract } from "./TargetRepository.contract.ts";
import { tenancyRepositoryContract } from "./TenancyRepository.contract.ts";
import { userRepositoryContract } from "./UserRepository.contract.ts";

export type { AdapterSet, ContractPorts } from "./harness.ts";

/**
 * Every port contract: what any adapter of the port must do, written once and run against the
 * in-memory adapters (packages/domain) and the PostgreSQL ones (packages/db).
 */
export const portContracts = (adapters: AdapterSet) => {
  inviteAnswerStoreContract(adapters);
  apiKeyRepositoryContract(adapters);
  directInviteStoreContract(adapters);
  emailInviteStoreContract(adapters);
  membershipRepositoryContract(adapters);
  targetRepositoryContract(adapters);
  tenancyRepositoryContract(adapters);
  userRepositoryContract(adapters);
};

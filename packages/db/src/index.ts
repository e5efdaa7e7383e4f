export { sha256Hex, uuidv7 } from "./adapters/ids.ts";
export {
  CREDENTIALS_CHANNEL,
  type CredentialCache,
  type CredentialCacheOptions,
  startCredentialCache,
} from "./credentialCache.ts";
export { decodeCursor, encodeCursor } from "./cursor.ts";
export { isPostgresUrl } from "./databaseUrl.ts";
export { freePort, type RunningPostgres, startEmbeddedPostgres } from "./embedded.ts";
export type { HeldTransaction } from "./heldTransaction.ts";
export {
  claimIdempotencyKey,
  commitIdempotentAnswer,
  deleteExpiredIdempotencyKeys,
  type IdempotencyClaim,
  IdempotencyKeyNotClaimed,
  notClaimed,
  type StoredAnswer,
} from "./idempotency.ts";
export { layer } from "./layer.ts";
export { type DatabaseReadiness, databaseReadiness, initOrm, migrate, type Orm } from "./orm.ts";
export {
  DEFAULT_DELIVERY_QUEUE_SETTINGS,
  DELIVERY_DEAD_LETTER_QUEUE,
  DELIVERY_QUEUE,
  DELIVERY_RETRY_QUEUE,
  type DeliveryJob,
  type DeliveryQueuePhase,
  type DeliveryQueueSettings,
  IDEMPOTENCY_CLEANUP_QUEUE,
  INVITE_EXPIRY_QUEUE,
  installDeliveryQueue,
} from "./queue.ts";
export { makeTokenSealer, type TokenSealer } from "./sealing.ts";
export {
  afterCommit,
  CurrentEntityManager,
  committed,
  Database,
  rolledBack,
  type TransactionManager,
  withTransaction,
} from "./sql.ts";
export { listenForEvents } from "./webhooks/listen.ts";
export {
  type AttemptOutcome,
  fanOutEvents,
  loadWebhookDelivery,
  recordWebhookAttempt,
  WEBHOOK_DISABLE_AFTER_MS,
  WEBHOOK_QUEUE,
  WEBHOOK_RETRY_SCHEDULE_SECONDS,
  type WebhookDelivery,
  type WebhookJob,
  webhookJobId,
} from "./webhooks/outbox.ts";
export {
  checkUrlShape,
  checkWebhookUrl,
  isAllowedHost,
  isPublicAddress,
  parseAllowedHosts,
  resolveHost,
  type WebhookHostRules,
  WebhookUrlPolicyDns,
} from "./webhooks/policy.ts";

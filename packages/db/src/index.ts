export { sha256Hex, uuidv7 } from "./adapters/ids.ts";
export { decodeCursor, encodeCursor } from "./cursor.ts";
export { freePort, type RunningPostgres, startEmbeddedPostgres } from "./embedded.ts";
export { layer } from "./layer.ts";
export { initOrm, migrate, type Orm } from "./orm.ts";
export {
  DEFAULT_DELIVERY_QUEUE_SETTINGS,
  DELIVERY_DEAD_LETTER_QUEUE,
  DELIVERY_QUEUE,
  DELIVERY_RETRY_QUEUE,
  type DeliveryJob,
  type DeliveryQueuePhase,
  type DeliveryQueueSettings,
  installDeliveryQueue,
} from "./queue.ts";
export { makeTokenSealer, type TokenSealer } from "./sealing.ts";
export { CurrentEntityManager, Database, withTransaction } from "./sql.ts";

export { sha256Hex, uuidv7 } from "./adapters/ids.ts";
export { decodeCursor, encodeCursor } from "./cursor.ts";
export { freePort, startEmbeddedPostgres } from "./embedded.ts";
export { layer } from "./layer.ts";
export { initOrm, migrate, type Orm } from "./orm.ts";
export { makeTokenSealer, type TokenSealer } from "./sealing.ts";
export { Database } from "./sql.ts";

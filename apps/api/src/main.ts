/**
 * The API process. Modules compiled once are kept in Node's on-disk compile cache (set
 * NODE_COMPILE_CACHE to choose its directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off), so a
 * restart skips most of the work of loading several hundred modules; the cache must be enabled
 * before they load, hence the dynamic import.
 */
import { enableCompileCache } from "node:module";

enableCompileCache();
await import("./serve.ts");

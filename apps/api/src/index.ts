export { type ApiConfig, ConfigError, loadConfig } from "./config.ts";
export type { AppRouter, RouterInputs, RouterOutputs } from "./router.ts";
export { type ApiServer, startApiServer } from "./server.ts";

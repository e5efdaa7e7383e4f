import { ConfigError, loadConfig } from "./config.ts";
import { startApiServer } from "./server.ts";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`[api] configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const api = await startApiServer(config);
console.log(`[api] listening on ${api.url} (public URL ${config.publicUrl})`);

const shutdown = (signal: string) => {
  console.log(`[api] ${signal}: finishing requests in flight`);
  api.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("[api] shutdown failed", error);
      process.exit(1);
    },
  );
};
process.once("SIGTERM", () => shutdown("SIGTERM"));
process.once("SIGINT", () => shutdown("SIGINT"));

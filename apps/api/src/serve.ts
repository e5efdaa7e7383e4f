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

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`[api] ${signal}: finishing requests in flight (at most ${config.shutdownTimeoutMs} ms)`);
  // The last resort if releasing the database hangs: the deadline is a promise to the orchestrator.
  setTimeout(() => {
    console.error("[api] shutdown deadline passed, exiting");
    process.exit(1);
  }, config.shutdownTimeoutMs).unref();
  api.close().then(
    ({ forced }) => {
      console.log(forced ? "[api] stopped, connections still busy at the deadline were cut" : "[api] stopped");
      process.exit(0);
    },
    (error: unknown) => {
      console.error("[api] shutdown failed", error);
      process.exit(1);
    },
  );
};
process.once("SIGTERM", () => shutdown("SIGTERM"));
process.once("SIGINT", () => shutdown("SIGINT"));

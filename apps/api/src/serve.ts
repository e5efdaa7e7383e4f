import type { AddressInfo } from "node:net";
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

let api: Awaited<ReturnType<typeof startApiServer>>;
try {
  api = await startApiServer(config);
} catch (error) {
  if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
    console.error(`[api] PORT ${config.port} is already in use on ${config.host}: stop that process or set PORT`);
    process.exit(1);
  }
  throw error;
}
// The address actually bound, not a guess: 0.0.0.0 means every interface.
const bound = api.server.address() as AddressInfo;
const shown = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
console.log(`[api] listening on http://${shown}:${bound.port} (public URL ${config.publicUrl})`);

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

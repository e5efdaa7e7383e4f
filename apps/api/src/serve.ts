import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError, loadConfig } from "./config.ts";
import { startApiServer } from "./server.ts";

/** No request for this long after a burst, and the process gives back what it grew by. */
const IDLE_BEFORE_COLLECT_MS = 2_000;

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
returnMemoryWhenIdle(api.server);

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

/**
 * Gives memory back once a burst of requests is over. V8 keeps the pages a burst made it use
 * (tens of MB after a few seconds of 1,000-row pages) and does not hand them back to the system
 * by itself while the process sits idle; a last-resort collection does. So when the process
 * has grown well past its size at start and no request has been in flight for a while, it runs
 * one. Only with `--expose-gc`, which `pnpm start` passes; without it this does nothing.
 */
function returnMemoryWhenIdle(server: Server) {
  const collect = globalThis.gc;
  if (collect === undefined) return;
  const grownMb = 1.25 * (process.memoryUsage.rss() / 1024 / 1024);
  let inFlight = 0;
  let lastDone = 0;
  let servedSinceCollect = false;
  server.on("request", (_req, res) => {
    inFlight++;
    res.once("close", () => {
      inFlight--;
      lastDone = Date.now();
      servedSinceCollect = true;
    });
  });
  setInterval(() => {
    if (!servedSinceCollect || inFlight > 0 || Date.now() - lastDone < IDLE_BEFORE_COLLECT_MS) return;
    servedSinceCollect = false;
    if (process.memoryUsage.rss() / 1024 / 1024 > grownMb) collect({ type: "major", flavor: "last-resort" });
  }, 1_000).unref();
}

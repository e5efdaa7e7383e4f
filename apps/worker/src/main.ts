import { ConfigError, loadWorkerConfig } from "./config.ts";
import { startWorker } from "./worker.ts";

let config: ReturnType<typeof loadWorkerConfig>;
try {
  config = loadWorkerConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`[worker] configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

let worker: Awaited<ReturnType<typeof startWorker>>;
try {
  worker = await startWorker(config);
} catch (error) {
  console.error("[worker] could not start:", error instanceof Error ? error.message : error);
  process.exit(1);
}
console.log(
  `[worker] started: ${config.mail.transport} transport, batches of up to ${config.batchSize} (pid ${process.pid})`,
);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`[worker] ${signal}: finishing deliveries in flight`);
  // The last resort if a delivery or a connection hangs: the deadline is a promise to the orchestrator.
  setTimeout(() => {
    console.error("[worker] shutdown deadline passed, exiting");
    process.exit(1);
  }, config.shutdownTimeoutMs).unref();
  worker.stop().then(
    () => {
      console.log("[worker] stopped");
      process.exit(0);
    },
    (error: unknown) => {
      console.error("[worker] shutdown failed", error);
      process.exit(1);
    },
  );
};
process.once("SIGTERM", () => shutdown("SIGTERM"));
process.once("SIGINT", () => shutdown("SIGINT"));

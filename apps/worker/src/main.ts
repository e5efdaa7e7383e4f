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

/** Network errors and PostgreSQL's refusals of the connection itself (credentials, no such database). */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "28P01",
  "28000",
  "3D000",
]);

/** Why the worker could not start, saying which setting to look at or what to run. */
const startFailure = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && CONNECTION_CODES.has(code)) {
    return `cannot reach the database at DATABASE_URL: ${message}`;
  }
  if (/pg-boss is not installed/.test(message) || code === "42P01" || code === "3F000") {
    return `the database at DATABASE_URL is not migrated (run pnpm db:migrate against it): ${message}`;
  }
  return message;
};

let worker: Awaited<ReturnType<typeof startWorker>>;
try {
  worker = await startWorker(config);
} catch (error) {
  console.error(`[worker] could not start: ${startFailure(error)}`);
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

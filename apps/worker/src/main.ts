import { initOrm } from "@admit/db";

/**
 * The delivery worker. For now it connects, reports ready and shuts down cleanly on SIGTERM;
 * sending the queued invitation emails is the worker issue's work.
 */
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error("[worker] configuration error: DATABASE_URL is required");
  process.exit(1);
}

const orm = await initOrm({ databaseUrl, poolSize: 2 });
console.log("[worker] started");

const keepAlive = setInterval(() => {}, 60_000);
const shutdown = (signal: string) => {
  console.log(`[worker] ${signal}: stopping`);
  clearInterval(keepAlive);
  orm.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGTERM", () => shutdown("SIGTERM"));
process.once("SIGINT", () => shutdown("SIGINT"));

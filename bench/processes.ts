/** The processes under test: a throwaway PostgreSQL, and the API (and workers) as child processes. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { freePort, migrate, startEmbeddedPostgres } from "@admit/db";
import pg from "pg";

export const ROOT = resolve(import.meta.dirname, "..");

/** The role the API connects as, so that pg_stat_statements can tell its statements from the bench's own. */
export const API_ROLE = "admit_api";

export interface Database {
  /** The bench's own connection URL (the owner of the schema). */
  readonly url: string;
  /** The same database, as the API's role. */
  readonly apiUrl: string;
  /** The server's superuser, for creating other databases and roles. */
  readonly adminUrl: string;
  /** The owner's URL of another database on the same server. */
  urlFor(database: string): string;
  readonly pool: pg.Pool;
  /** The postmaster's process id: it and its children are the server's processes. */
  readonly postmasterPid: number;
  stop(): Promise<void>;
}

export const startDatabase = async (log: (line: string) => void): Promise<Database> => {
  const dir = await mkdtemp(join(tmpdir(), "admit-bench-"));
  // When run as root, PostgreSQL runs as the `postgres` user, which must reach the data directory.
  await chmod(dir, 0o755);
  const dataDir = join(dir, "data");
  const server = await startEmbeddedPostgres({
    dataDir,
    throwaway: true,
    flags: ["-c", "shared_preload_libraries=pg_stat_statements"],
    log,
  });
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query("create database bench");
  await admin.query(`create role ${API_ROLE} login password '${API_ROLE}' in role admit`);
  await admin.end();
  const url = server.urlFor("bench");
  await migrate(url);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("error", () => {});
  await pool.query("create extension if not exists pg_stat_statements");
  const apiUrl = new URL(url);
  apiUrl.username = API_ROLE;
  apiUrl.password = API_ROLE;
  const postmasterPid = Number((await readFile(join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
  return {
    url,
    apiUrl: apiUrl.toString(),
    adminUrl: server.adminUrl,
    urlFor: server.urlFor,
    pool,
    postmasterPid,
    stop: async () => {
      await pool.end();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

/** Statements and execution time the database spent for one role (in one database) since the last reset. */
export const statementCounter = (db: Database, role: string, database?: string) => ({
  reset: () => db.pool.query("select pg_stat_statements_reset()").then(() => undefined),
  read: async () => {
    const { rows } = await db.pool.query<{ query: string; calls: string; ms: number }>(
      `select query, calls, total_exec_time as ms from pg_stat_statements
       where userid = $1::regrole and dbid = (select oid from pg_database where datname = coalesce($2, current_database()))
       order by total_exec_time desc`,
      [role, database ?? null],
    );
    return {
      calls: rows.reduce((n, r) => n + Number(r.calls), 0),
      ms: rows.reduce((n, r) => n + r.ms, 0),
      top: rows.slice(0, 6).map((r) => ({
        statement: r.query.replace(/\s+/g, " ").slice(0, 120),
        calls: Number(r.calls),
        meanMs: Number((r.ms / Number(r.calls)).toFixed(3)),
        totalMs: Number(r.ms.toFixed(1)),
      })),
    };
  },
});

export interface Child {
  readonly process: ChildProcess;
  /** Settles once the output shows `readyPattern` (at once when none was given); fails if the process exits first. */
  readonly ready: Promise<void>;
  /** Resident set size now, in MB (from /proc). */
  rss(): Promise<number>;
  /** SIGTERM, then wait for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
}

export const startChild = (
  script: string,
  options: { env: Record<string, string>; nodeFlags?: ReadonlyArray<string>; logFile: string; readyPattern?: RegExp },
): Child => {
  const log = createWriteStream(options.logFile, { flags: "a" });
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), script], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const pattern = options.readyPattern;
  const ready = pattern
    ? new Promise<void>((resolve, reject) => {
        let seen = "";
        const onData = (chunk: Buffer) => {
          seen = (seen + chunk.toString("utf8")).slice(-4096);
          if (pattern.test(seen)) {
            child.stdout?.off("data", onData);
            resolve();
          }
        };
        child.stdout?.on("data", onData);
        void exited.then((code) =>
          reject(new Error(`${script} exited with ${code} before it was ready (log: ${options.logFile})`)),
        );
      })
    : Promise.resolve();
  ready.catch(() => {});
  return {
    process: child,
    ready,
    rss: async () => {
      const status = await readFile(`/proc/${child.pid}/status`, "utf8").catch(() => "");
      const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
      return kb ? Number(kb) / 1024 : Number.NaN;
    },
    stop: async (graceMs = 15_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      log.end();
      return code;
    },
  };
};

export const waitFor = async (
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  child?: Child,
  everyMs = 100,
) => {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child && child.process.exitCode !== null) throw new Error(`${what}: the process exited early`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`);
};

const API_DIR = join(ROOT, "apps", "api");

/**
 * How `pnpm start` runs an app: its `start` script, `node [flags] <script>`, read from its
 * package.json so that the bench measures the same process, flags included.
 */
export const startCommand = (
  app: "api" | "worker",
): { readonly nodeFlags: ReadonlyArray<string>; readonly script: string } => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "apps", app, "package.json"), "utf8")) as {
    scripts?: { start?: string };
  };
  const words = (pkg.scripts?.start ?? "").trim().split(/\s+/);
  const script = words.at(-1);
  if (words[0] !== "node" || script === undefined || words.length < 2)
    throw new Error(`apps/${app}'s start script is not "node [flags] <script>": ${pkg.scripts?.start}`);
  return { nodeFlags: words.slice(1, -1), script: join("apps", app, script) };
};

/** Builds the API as `pnpm start` does before running it (tsdown, apps/api/tsdown.config.ts); answers the seconds it took. */
export const buildApi = (logFile: string): number => {
  const started = performance.now();
  const require = createRequire(join(API_DIR, "package.json"));
  const pkgFile = require.resolve("tsdown/package.json");
  const { bin } = JSON.parse(readFileSync(pkgFile, "utf8")) as { bin: string | Record<string, string> };
  const cli = join(dirname(pkgFile), typeof bin === "string" ? bin : (bin.tsdown ?? ""));
  const result = spawnSync(process.execPath, [cli], { cwd: API_DIR, encoding: "utf8" });
  createWriteStream(logFile, { flags: "a" }).end(`${result.stdout}${result.stderr}`);
  if (result.status !== 0) throw new Error(`building the API failed (log: ${logFile}):\n${result.stderr}`);
  return (performance.now() - started) / 1000;
};

/** Starts the built API (as `pnpm start` runs it) on a free port and waits until it answers /readyz. */
export const startApi = async (options: {
  databaseUrl: string;
  rootKey: string;
  tokenKey: string;
  nodeFlags?: ReadonlyArray<string>;
  logFile: string;
}) => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const command = startCommand("api");
  const child = startChild(command.script, {
    env: {
      DATABASE_URL: options.databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: "http://admit.bench",
      ADMIT_ROOT_KEY: options.rootKey,
      TOKEN_ENCRYPTION_KEY: options.tokenKey,
      // The bench's organizations send far more emails than the default hourly quota.
      EMAIL_INVITES_PER_HOUR: "1000000000",
    },
    // Flags given here come after the start script's own, so they win.
    nodeFlags: [...command.nodeFlags, ...(options.nodeFlags ?? [])],
    logFile: options.logFile,
  });
  // Polled often: the time to ready is one of the figures.
  await waitFor("API", () => fetch(`${url}/readyz`).then((r) => r.ok), 30_000, child, 5);
  return { ...child, url };
};

/** Samples a child's RSS every `everyMs` while running; answers the highest seen. */
export const rssSampler = (child: Child, everyMs = 200) => {
  let max = 0;
  let timer: NodeJS.Timeout | undefined;
  const sample = async () => {
    const mb = await child.rss();
    if (mb > max) max = mb;
  };
  return {
    start: () => {
      max = 0;
      void sample();
      timer = setInterval(() => void sample(), everyMs);
    },
    stop: async () => {
      clearInterval(timer);
      await sample();
      return max;
    },
  };
};

const statFields = async (pid: number | string): Promise<string[]> => {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // The fields after the command name, which is in parentheses and may hold spaces.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
};

const cpuOfFields = (fields: string[]) => ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;

/** CPU time (user + system) a process has used so far, in ms; NaN once it is gone. */
export const cpuMsOf = async (pid: number): Promise<number> => cpuOfFields(await statFields(pid));

/** CPU time used so far by the postmaster and each of its children, in ms, by pid. */
export const postgresCpuMs = async (postmasterPid: number): Promise<Map<number, number>> => {
  const used = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = await statFields(entry);
    if (Number(entry) === postmasterPid || Number(fields[1]) === postmasterPid) {
      used.set(Number(entry), cpuOfFields(fields) || 0);
    }
  }
  return used;
};

/**
 * CPU used by the given processes (the API, or workers), PostgreSQL and this process between `start` and `stop`. A PostgreSQL
 * process that exits in between takes its share with it (counted as 0).
 */
export const cpuMeter = (postmasterPid: number, pids: ReadonlyArray<number>) => {
  let from = { api: 0, pg: new Map<number, number>(), self: 0 };
  const now = async () => {
    const usage = process.cpuUsage();
    let api = 0;
    for (const pid of pids) api += await cpuMsOf(pid);
    return {
      api,
      pg: await postgresCpuMs(postmasterPid),
      self: (usage.user + usage.system) / 1000,
    };
  };
  return {
    start: async () => {
      from = await now();
    },
    stop: async () => {
      const to = await now();
      let pg = 0;
      for (const [pid, ms] of to.pg) pg += ms - (from.pg.get(pid) ?? 0);
      return { api: to.api - from.api, pg, self: to.self - from.self };
    },
  };
};

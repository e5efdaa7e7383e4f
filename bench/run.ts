/**
 * `pnpm bench [--quick] [--profile] [--only a,b] [--concurrency N] [--seconds S] [--api-flags="--node-flag …"]`
 *
 * Starts a throwaway PostgreSQL and the real API as a child process, built and started as
 * `pnpm start` does (apps/api's `build` and `start` scripts), drives it over keep-alive HTTP from
 * this process, and prints throughput, latency, errors, SQL round trips and API memory per
 * scenario; for create and accept also a baseline: the very statements the API sent, replayed
 * with plain `pg` at the same concurrency. Then each target of the issue, met or missed. Writes
 * the figures to bench/results/. Exits non-zero when a request type fails or any request errs.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig, startApiServer } from "@admit/api";
import { sha256Hex } from "@admit/db";
import pg from "pg";
import { BETTER_AUTH_DATABASE, BETTER_AUTH_ROLE, startBetterAuth } from "./better-auth.ts";
import { installCapture, makeRewriter, record, replay, type Statement, stepsOf } from "./capture.ts";
import { call, type Http, type HttpRequest, makeHttp, runLoad, trpc } from "./load.ts";
import {
  API_ROLE,
  buildApi,
  type Child,
  cpuMeter,
  cpuMsOf,
  type Database,
  ROOT,
  rssSampler,
  startApi,
  startDatabase,
  statementCounter,
} from "./processes.ts";
import { summarize } from "./profile.ts";
import { type Row, type TargetCheck, table, targetsText } from "./report.ts";
import { type PendingInvite, seedInvites, seedPendingInvites } from "./seed.ts";
import { runWorkerBench, startPostmarkSink, startSmtpSink, workerAvailable } from "./worker.ts";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    only: { type: "string" },
    concurrency: { type: "string" },
    seconds: { type: "string" },
    "api-flags": { type: "string" },
  },
});

const quick = args.quick === true;
const settings = {
  concurrency: Number(args.concurrency ?? 16),
  warmupMs: quick ? 200 : 2_000,
  durationMs: Number(args.seconds ?? (quick ? 0.6 : 10)) * 1000,
  /** The memory target is checked under this many connections (the heaviest list and create). */
  heavyConcurrency: 32,
  /** How long the API may take to give memory back once the load stops. */
  settleMs: quick ? 5_000 : 15_000,
  listSeed: quick ? 10_000 : 1_000_000,
  acceptPool: quick ? 20_000 : 40_000,
  /** Lists are also measured one request at a time: their latency without queueing. */
  listAlone: !quick,
  /** Alternating rounds of Admit and Better Auth, sharing the scenario's time. */
  peerRounds: quick ? 1 : 3,
  worker: quick
    ? { deliveries: 200, processes: [1], steady: { perSecond: 100, count: 30 }, drainLimitMs: 5_000 }
    : { deliveries: 10_000, processes: [1, 2], steady: { perSecond: 100, count: 500 }, drainLimitMs: 60_000 },
};
const only = args.only?.split(",").map((s) => s.trim());
const wanted = (name: string) => only === undefined || only.some((o) => name.startsWith(o));

const resultsDir = join(ROOT, "bench", "results");
mkdirSync(resultsDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const logFile = join(resultsDir, `${stamp}.log`);
const say = (line: string) => console.log(`[bench] ${line}`);

const rootKey = `bench_root_${randomBytes(24).toString("base64url")}`;
const tokenKey = randomBytes(32).toString("base64url");
const runId = randomBytes(3).toString("hex");
let emailCounter = 0;
/** The bench sends far more invitation emails per organization than any quota allows: lift it. */
const BENCH_EMAIL_QUOTA = "1000000000";
const freshEmail = (label: string) => `${label}-${runId}-${emailCounter++}@example.com`;

/** "Back near its idle size": at most this much above the RSS the API had, idle, right after it started. */
const NEAR_IDLE = 1.25;
const nearIdle = (idleMb: number) => idleMb * NEAR_IDLE;

/** Where the profiled API's CPU time went: the top of `node bench/profile.ts`. */
const printProfile = (dir: string) => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  for (const file of files) {
    const s = summarize(JSON.parse(readFileSync(join(dir, file), "utf8")));
    const busy = s.totalMs - (s.buckets.find((b) => b.name === "(idle)")?.ms ?? 0);
    say(`CPU profile of the API: ${join(dir, file)}, ${(busy / 1000).toFixed(1)} s busy`);
    const show = (title: string, items: typeof s.buckets) =>
      console.log(
        `${title}\n${items
          .filter((b) => b.name !== "(idle)")
          .slice(0, 12)
          .map((b) => `${((b.ms / busy) * 100).toFixed(1).padStart(6)}%  ${b.name}`)
          .join("\n")}`,
      );
    show("busy time by package", s.buckets);
    show("busy time by function (self)", s.functions);
  }
  say(`all of it: node bench/profile.ts ${dir}`);
};

const rows: Row[] = [];
let exitCode = 0;
let db: Database | undefined;
let api: Awaited<ReturnType<typeof startApi>> | undefined;
const timings: Record<string, number> = {};
const started = performance.now();

const cleanup = async () => {
  await api?.stop().catch(() => {});
  api = undefined;
  await db?.stop().catch(() => {});
  db = undefined;
};
process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));

try {
  say(`${quick ? "quick" : "full"} run, concurrency ${settings.concurrency}, ${cpus().length} cores, log ${logFile}`);
  let t = performance.now();
  db = await startDatabase(() => {});
  const database = db;
  timings.postgres = (performance.now() - t) / 1000;

  // Fixtures, seeds and the statement capture, on an API running inside this process.
  const uninstall = installCapture();
  const inproc = await startApiServer(
    loadConfig({
      DATABASE_URL: database.url,
      PORT: "0",
      HOST: "127.0.0.1",
      ADMIT_ROOT_KEY: rootKey,
      TOKEN_ENCRYPTION_KEY: tokenKey,
      EMAIL_INVITES_PER_HOUR: BENCH_EMAIL_QUOTA,
    }),
  );
  const setupHttp = makeHttp(inproc.url, 8);
  const org = await call(setupHttp, "mutation", "organizations.create", { name: "Bench" }, rootKey);
  const sites: string[] = [];
  for (let i = 0; i < 50; i++) {
    sites.push(
      (await call(setupHttp, "mutation", "websites.create", { organizationId: org.id, name: `Site ${i}` }, rootKey)).id,
    );
  }
  const key = await call(
    setupHttp,
    "mutation",
    "apiKeys.create",
    { kind: "organization", organizationId: org.id, name: "Bench key" },
    rootKey,
  );
  const big = await call(setupHttp, "mutation", "organizations.create", { name: "A million invites" }, rootKey);
  const bigKey = await call(
    setupHttp,
    "mutation",
    "apiKeys.create",
    { kind: "organization", organizationId: big.id, name: "Big key" },
    rootKey,
  );
  const fixed = new Set<string>([
    org.id,
    big.id,
    key.id,
    bigKey.id,
    ...sites,
    sha256Hex(key.secret),
    sha256Hex(bigKey.secret),
  ]);

  t = performance.now();
  if (wanted("list")) {
    say(`seeding ${settings.listSeed.toLocaleString("en")} invites (and their deliveries) with SQL`);
    await seedInvites(database.pool, {
      organizationId: big.id,
      apiKeyId: bigKey.id,
      inviterName: "Big key",
      count: settings.listSeed,
    });
  }
  const pool = (label: string, count: number) =>
    seedPendingInvites(database.pool, {
      organizationId: org.id,
      apiKeyId: key.id,
      inviterName: "Bench key",
      count,
      label,
    });
  const wantAccept = wanted("accept");
  const acceptPools = {
    capture: await pool("capture", 4),
    api: wantAccept ? await pool("accept-api", settings.acceptPool) : [],
    baseline: wantAccept ? await pool("accept-baseline", settings.acceptPool) : [],
  };
  timings.seed = (performance.now() - t) / 1000;
  say(`seeded in ${timings.seed.toFixed(1)} s`);

  const requests = {
    direct: (email: string) => trpc("mutation", "invites.create", { method: "direct", email }, key.secret),
    email: (email: string) => trpc("mutation", "invites.create", { method: "email", email }, key.secret),
    /** The same request with an Idempotency-Key of its own: what the mechanism costs. */
    emailKeyed: (email: string) => {
      const req = trpc("mutation", "invites.create", { method: "email", email }, key.secret);
      return { ...req, headers: { ...req.headers, "idempotency-key": randomUUID() } };
    },
    bulk: (n: number) => (email: string) =>
      trpc("mutation", "invites.createBulk", { method: "email", email, websiteIds: sites.slice(0, n) }, key.secret),
    list: (limit: number) => () => trpc("query", "invites.list", { limit }, bigKey.secret),
    accept: (token: string) => trpc("mutation", "invites.accept", { token }),
  };
  const ok = async (http: Http, req: HttpRequest) => {
    const answer = await http.send(req);
    if (answer.status !== 200)
      throw new Error(`${req.path.split("?")[0]} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  };
  // Warm every path once (the queue client starts with the first email invite), then capture one request each.
  for (const req of [
    requests.direct(freshEmail("warm")),
    requests.email(freshEmail("warm")),
    requests.bulk(1)(freshEmail("warm")),
    requests.list(50)(),
  ])
    await ok(setupHttp, req);
  await ok(setupHttp, requests.accept((acceptPools.capture[0] as PendingInvite).token));
  const captureEmail = { direct: freshEmail("capture"), email: freshEmail("capture"), bulk: freshEmail("capture") };
  const accepted = acceptPools.capture[1] as PendingInvite;
  // An accept writes only invites still at the row version it read (`xmin`): the replayed write
  // must name the version of the invite it replays on. A pool is seeded in several statements, so
  // its invites do not all share one version.
  const versionsOf = async (invites: ReadonlyArray<PendingInvite>) =>
    new Map(
      (
        await database.pool.query<{ id: string; v: string }>(
          "select id, xmin::text as v from invites where id = any($1::uuid[])",
          [invites.map((i) => i.inviteId)],
        )
      ).rows.map((r) => [r.id, r.v]),
    );
  const acceptVersions = {
    captured: (await versionsOf([accepted])).get(accepted.inviteId) ?? "",
    baseline: await versionsOf(acceptPools.baseline),
  };
  const captured: Record<string, Statement[]> = {
    "create direct": await record(() => ok(setupHttp, requests.direct(captureEmail.direct))),
    "create email": await record(() => ok(setupHttp, requests.email(captureEmail.email))),
    "create email keyed": await record(() => ok(setupHttp, requests.emailKeyed(freshEmail("capture")))),
    accept: await record(() => ok(setupHttp, requests.accept(accepted.token))),
  };
  for (const n of [1, 10, 50])
    captured[`bulk-${n} email`] = await record(() => ok(setupHttp, requests.bulk(n)(freshEmail("capture"))));
  for (const n of [50, 1000]) captured[`list limit ${n}`] = await record(() => ok(setupHttp, requests.list(n)()));
  setupHttp.close();
  await inproc.close();
  uninstall();
  for (const [name, statements] of Object.entries(captured))
    say(`${name}: ${statements.length} statements per request`);

  // The API under test, as a process of its own, built and started as `pnpm start` does.
  say("building the API (apps/api: tsdown), as pnpm start does");
  timings.build = buildApi(logFile);
  const profileDir = join(resultsDir, `${stamp}-profile`);
  t = performance.now();
  api = await startApi({
    databaseUrl: database.apiUrl,
    rootKey,
    tokenKey,
    logFile,
    nodeFlags: [
      ...(args.profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
      ...(args["api-flags"]?.split(/\s+/).filter(Boolean) ?? []),
    ],
  });
  timings.apiReady = (performance.now() - t) / 1000;
  const apiProcess = api;
  const apiStartCpuMs = await cpuMsOf(apiProcess.process.pid as number);
  const http = makeHttp(api.url, Math.max(settings.concurrency, settings.heavyConcurrency, 1));
  const counter = statementCounter(database, API_ROLE);
  const idleRss = await apiProcess.rss();
  say(
    `API pid ${apiProcess.process.pid} at ${apiProcess.url}, ready in ${timings.apiReady.toFixed(2)} s, RSS ${idleRss.toFixed(0)} MB idle`,
  );

  interface Target {
    readonly http: Http;
    readonly child: Child;
    readonly counter: ReturnType<typeof statementCounter>;
    readonly against: Row["against"];
  }
  const admit: Target = { http, child: apiProcess, counter, against: "api" };

  const runApi = async (
    scenario: string,
    make: () => HttpRequest | null,
    {
      concurrency = settings.concurrency,
      target: { http, child, counter, against } = admit,
      durationMs = settings.durationMs,
    }: { concurrency?: number; target?: Target; durationMs?: number } = {},
  ): Promise<Row> => {
    const rss = rssSampler(child);
    let window: Awaited<ReturnType<typeof counter.read>> = { calls: 0, ms: 0, top: [] };
    const cpu = cpuMeter(database.postmasterPid, [child.process.pid as number]);
    let used = { api: 0, pg: 0, self: 0 };
    // Each side measure counts the requests completed between its own two readings.
    const marks = { sql: 0, cpu: 0 };
    const result = await runLoad({
      concurrency,
      warmupMs: settings.warmupMs,
      durationMs,
      next: make,
      op: async (req) => {
        const answer = await http.send(req);
        return answer.status === 200 ? true : `${answer.status} ${answer.body}`;
      },
      onWindow: async (edge, completed) => {
        if (edge === "start") {
          rss.start();
          await counter.reset();
          marks.sql = completed();
          await cpu.start();
          marks.cpu = completed();
        } else {
          used = await cpu.stop();
          marks.cpu = completed() - marks.cpu;
          const sqlDone = completed() - marks.sql;
          window = await counter.read();
          marks.sql = sqlDone;
        }
      },
    });
    const rssMb = await rss.stop();
    const row: Row = {
      ...result,
      scenario,
      against,
      concurrency,
      rssMb,
      ...(marks.sql > 0 ? { sqlPerRequest: window.calls / marks.sql, dbMsPerRequest: window.ms / marks.sql } : {}),
      ...(marks.cpu > 0
        ? {
            cpuMsPerRequest: {
              api: used.api / marks.cpu,
              postgres: used.pg / marks.cpu,
              loadGenerator: used.self / marks.cpu,
            },
          }
        : {}),
      topStatements: window.top,
      ...(captured[scenario] ? { sqlCaptured: captured[scenario].length } : {}),
      ...(result.exhausted ? { note: "ran out of work before the time" } : {}),
    };
    rows.push(row);
    say(
      `${scenario}: ${row.throughput.toFixed(0)} req/s, p50 ${row.p50.toFixed(2)} ms, ${row.errors} errors${row.errorSamples.length ? ` (${row.errorSamples[0]})` : ""}`,
    );
    return row;
  };

  const runBaseline = async (
    scenario: string,
    mapping: () => Map<string, string> | null,
    apiRow: Row,
  ): Promise<Row> => {
    const statements = captured[scenario] as Statement[];
    const steps = stepsOf(statements);
    const basePool = new pg.Pool({ connectionString: database.url, max: settings.concurrency });
    const cpu = cpuMeter(database.postmasterPid, []);
    let used = { api: 0, pg: 0, self: 0 };
    let done = 0;
    const result = await runLoad({
      onWindow: async (edge, completed) => {
        if (edge === "start") {
          await cpu.start();
          done = completed();
        } else {
          used = await cpu.stop();
          done = completed() - done;
        }
      },
      concurrency: settings.concurrency,
      warmupMs: settings.warmupMs,
      durationMs: settings.durationMs,
      next: mapping,
      op: async (map) => {
        await replay(basePool, steps, makeRewriter(fixed, map));
        return true;
      },
    });
    await basePool.end();
    const row: Row = {
      ...result,
      scenario,
      against: "baseline",
      concurrency: settings.concurrency,
      sqlCaptured: statements.length,
      ...(done > 0 ? { cpuMsPerRequest: { postgres: used.pg / done, loadGenerator: used.self / done } } : {}),
      ...(result.exhausted ? { note: "ran out of work before the time" } : {}),
    };
    rows.push(row);
    const index = rows.indexOf(apiRow);
    rows[index] = { ...apiRow, ratio: apiRow.throughput / row.throughput };
    say(
      `${scenario} baseline: ${row.throughput.toFixed(0)} req/s, p50 ${row.p50.toFixed(2)} ms, ${row.errors} errors${row.errorSamples.length ? ` (${row.errorSamples[0]})` : ""}`,
    );
    return row;
  };

  const sequence = <T>(items: ReadonlyArray<T>) => {
    let i = 0;
    return () => (i < items.length ? (items[i++] as T) : null);
  };

  if (wanted("create direct")) {
    const row = await runApi("create direct", () => requests.direct(freshEmail("direct")));
    await runBaseline("create direct", () => new Map([[captureEmail.direct, freshEmail("direct-base")]]), row);
  }
  if (wanted("create email")) {
    const row = await runApi("create email", () => requests.email(freshEmail("email")));
    await runBaseline("create email", () => new Map([[captureEmail.email, freshEmail("email-base")]]), row);
  }
  // Better Auth's organization/invite-member beside Admit's invites.create by email (organization
  // target), alternating rounds on the same PostgreSQL at the same concurrency.
  const peer: { admit: Row[]; betterAuth: Row[] } = { admit: [], betterAuth: [] };
  if (wanted("better-auth")) {
    // A fresh server's first requests are slow: even a quick run gives each side a second and a half.
    const roundMs = Math.max(settings.durationMs / settings.peerRounds, 1_500);
    const betterAuth = await startBetterAuth(database, {
      logFile,
      // Enough organizations for a pace well above any seen here (2,000/s) over every round.
      expectedInvitations: settings.peerRounds * ((settings.warmupMs + roundMs) / 1000) * 2_000,
    });
    try {
      say(`Better Auth pid ${betterAuth.process.pid} at ${betterAuth.url}, ${betterAuth.organizations} organizations`);
      const baHttp = makeHttp(betterAuth.url, Math.max(settings.concurrency, 1));
      const baTarget: Target = {
        http: baHttp,
        child: betterAuth,
        counter: statementCounter(database, BETTER_AUTH_ROLE, BETTER_AUTH_DATABASE),
        against: "better-auth",
      };
      for (let round = 1; round <= settings.peerRounds; round++) {
        peer.admit.push(
          await runApi(`invite (round ${round})`, () => requests.email(freshEmail("peer")), { durationMs: roundMs }),
        );
        peer.betterAuth.push(
          await runApi(`invite (round ${round})`, () => betterAuth.invite(freshEmail("peer")), {
            durationMs: roundMs,
            target: baTarget,
          }),
        );
      }
      baHttp.close();
    } finally {
      await betterAuth.stop();
    }
  }
  if (wanted("create email keyed")) await runApi("create email keyed", () => requests.emailKeyed(freshEmail("keyed")));
  for (const n of [1, 10, 50]) {
    if (wanted(`bulk-${n}`)) await runApi(`bulk-${n} email`, () => requests.bulk(n)(freshEmail(`bulk${n}`)));
  }
  if (wanted("list")) {
    for (const n of [50, 1000]) await runApi(`list limit ${n}`, requests.list(n));
    if (settings.listAlone)
      for (const n of [50, 1000]) await runApi(`list limit ${n}`, requests.list(n), { concurrency: 1 });
  }
  // The memory target's load: the heaviest answer and the busiest write, at more connections.
  if (wanted("create email"))
    await runApi("create email", () => requests.email(freshEmail("heavy")), {
      concurrency: settings.heavyConcurrency,
    });
  if (wanted("list")) await runApi("list limit 1000", requests.list(1000), { concurrency: settings.heavyConcurrency });
  if (wantAccept) {
    const nextToken = sequence(acceptPools.api);
    const row = await runApi("accept", () => {
      const invite = nextToken();
      return invite === null ? null : requests.accept(invite.token);
    });
    const nextInvite = sequence(acceptPools.baseline);
    let replayed = 0;
    const base = await runBaseline(
      "accept",
      () => {
        const invite = nextInvite();
        if (invite === null) return null;
        replayed++;
        return new Map([
          [accepted.tokenHash, invite.tokenHash],
          [accepted.email, invite.email],
          [accepted.inviteId, invite.inviteId],
          [`"version":"${acceptVersions.captured}"`, `"version":"${acceptVersions.baseline.get(invite.inviteId)}"`],
        ]);
      },
      row,
    );
    // A replayed accept that names no pending invite at its version answers as fast as it does
    // nothing: each one must have accepted its invite, or the baseline measured something else.
    const { rows } = await database.pool.query<{ n: number }>(
      "select count(*)::int as n from invites where id = any($1::uuid[]) and status = 'accepted'",
      [acceptPools.baseline.slice(0, replayed).map((i) => i.inviteId)],
    );
    const acceptedByReplay = rows[0]?.n ?? 0;
    if (acceptedByReplay < replayed - base.errors)
      throw new Error(`accept baseline: ${replayed} requests replayed, ${acceptedByReplay} invites accepted`);
  }
  http.close();
  // Memory given back after the load: sampled each second until it is near the idle size again.
  const settled = { mb: await apiProcess.rss(), seconds: 0 };
  while (settled.mb > nearIdle(idleRss) && settled.seconds * 1000 < settings.settleMs) {
    await new Promise((r) => setTimeout(r, 1000));
    settled.seconds++;
    settled.mb = await apiProcess.rss();
  }
  await apiProcess.stop();
  api = undefined;
  if (args.profile) printProfile(profileDir);

  // 6. The worker.
  let workerGap: string | null = null;
  if (wanted("worker")) {
    const available = await workerAvailable();
    if (available !== true) {
      workerGap = available;
      say(`worker: skipped: ${available}`);
    } else {
      for (const sink of [await startSmtpSink(), await startPostmarkSink()]) {
        try {
          for (const processes of settings.worker.processes) {
            rows.push(
              ...(await runWorkerBench({
                database,
                sink,
                tokenKey,
                organizationId: org.id,
                apiKeyId: key.id,
                processes,
                deliveries: settings.worker.deliveries,
                steady: settings.worker.steady,
                drainLimitMs: settings.worker.drainLimitMs,
                logFile,
                say,
              })),
            );
          }
        } finally {
          await sink.close();
        }
      }
    }
  }
  timings.total = (performance.now() - started) / 1000;

  // Report.
  const find = (scenario: string, against: Row["against"] = "api", concurrency = settings.concurrency) =>
    rows.find((r) => r.scenario === scenario && r.against === against && r.concurrency === concurrency);
  const checks: TargetCheck[] = [];
  for (const s of ["create direct", "create email", "accept"]) {
    const r = find(s);
    if (r?.ratio !== undefined)
      checks.push({ target: `${s} API/baseline ≥ 0.6`, measured: r.ratio.toFixed(2), met: r.ratio >= 0.6 });
  }
  if (peer.admit.length > 0 && peer.betterAuth.length > 0) {
    const rate = (rs: Row[]) => rs.reduce((n, r) => n + r.requests, 0) / rs.reduce((n, r) => n + r.seconds, 0);
    const a = rate(peer.admit);
    const b = rate(peer.betterAuth);
    const perRound = peer.admit.map((r, i) =>
      (r.throughput / (peer.betterAuth[i]?.throughput ?? Number.NaN)).toFixed(2),
    );
    checks.push({
      target: "invites.create by email ≥ 3 × Better Auth organization/invite-member",
      measured: `${a.toFixed(0)} vs ${b.toFixed(0)} invitations/s: ${(a / b).toFixed(2)}× (rounds ${perRound.join(", ")}×)`,
      met: a / b >= 3,
    });
  }
  const b1 = find("bulk-1 email");
  const b50 = find("bulk-50 email");
  if (b1 && b50) {
    const sameTrips = b1.sqlCaptured === b50.sqlCaptured;
    checks.push({
      target: "bulk-50 p50 ≤ 2.5 × bulk-1 p50, equal round trips",
      measured: `${(b50.p50 / b1.p50).toFixed(2)}×, ${b1.sqlCaptured} vs ${b50.sqlCaptured} statements`,
      met: b50.p50 <= 2.5 * b1.p50 && sameTrips,
    });
  }
  for (const n of [50, 1000]) {
    for (const c of [settings.concurrency, 1]) {
      const r = find(`list limit ${n}`, "api", c);
      if (r)
        checks.push({
          target: `list limit ${n} p50 ≤ 30 ms at ${settings.listSeed.toLocaleString("en")} invites (concurrency ${c})`,
          measured: `${r.p50.toFixed(1)} ms`,
          met: r.p50 <= 30,
        });
    }
  }
  for (const [transport, target] of [
    ["postmark", 1000],
    ["smtp", 400],
  ] as const) {
    const two = rows.find(
      (r) =>
        r.against === "worker" &&
        r.concurrency === 2 &&
        r.scenario.startsWith(`worker ${transport}:`) &&
        r.scenario.includes("at once"),
    );
    const label = `≥ ${target.toLocaleString("en")} emails/s with two workers through ${transport}`;
    checks.push(
      two
        ? { target: label, measured: `${two.throughput.toFixed(0)}/s`, met: two.throughput >= target }
        : { target: label, measured: workerGap ?? "not run", met: null },
    );
  }
  const apiRows = rows.filter((r) => r.against === "api" && r.rssMb !== undefined);
  if (apiRows.length > 0) {
    const peak = (rs: Row[]) => Math.max(...rs.map((r) => r.rssMb ?? 0));
    const heavy = apiRows.filter((r) => r.concurrency === settings.heavyConcurrency);
    const maxRss = peak(apiRows);
    checks.push({
      target: `API RSS ≤ 150 MB under load (${settings.heavyConcurrency} connections: ${heavy.map((r) => r.scenario).join(", ") || "not run"})`,
      measured: `${maxRss.toFixed(0)} MB at most${heavy.length > 0 ? `, ${peak(heavy).toFixed(0)} MB at ${settings.heavyConcurrency} connections` : ""}`,
      met: maxRss <= 150,
    });
    checks.push({
      target: `API RSS back near its idle size after the load (≤ ${NEAR_IDLE} × ${idleRss.toFixed(0)} MB)`,
      measured: `${settled.mb.toFixed(0)} MB ${settled.seconds} s after`,
      met: settled.mb <= nearIdle(idleRss),
    });
  }
  checks.push({
    target: "API ready ≤ 1 s after start (database up)",
    measured: `${timings.apiReady.toFixed(2)} s (${(apiStartCpuMs / 1000).toFixed(2)} s of CPU${args.profile ? ", profiling" : ""})`,
    met: timings.apiReady <= 1,
  });

  console.log(`\n${table(rows)}\n`);
  console.log(
    [
      "conc: concurrent connections. SQL/req: statements per request counted by pg_stat_statements under load (in",
      "parentheses: sent by one request, counted at the driver). cpu ms/req: CPU time per request of the API process,",
      "of PostgreSQL (all its processes) and of the bench process (load generator, or the baseline's pg client).",
      "ratio: API req/s over baseline req/s (the same statements sent with plain pg at the same concurrency).\n",
    ].join("\n"),
  );
  console.log(
    `round trips (statements one request sends, counted at the driver): ${Object.entries(captured)
      .map(([name, statements]) => `${name} ${statements.length}`)
      .join(", ")}\n`,
  );
  console.log(
    `targets${quick ? " (quick run: small data and short runs, indicative only)" : ""}:\n${targetsText(checks)}\n`,
  );

  const broken = rows.filter((r) => r.errors > 0 || r.requests === 0);
  for (const r of broken)
    console.log(
      `[bench] FAILED: ${r.scenario} (${r.against}): ${r.requests} ok, ${r.errors} errors ${r.errorSamples.join(" | ")}`,
    );
  if (broken.length > 0) exitCode = 1;

  const file = join(resultsDir, `${quick ? "quick" : "full"}-${stamp}.json`);
  const record_ = {
    startedAt: new Date(Date.now() - timings.total * 1000).toISOString(),
    mode: quick ? "quick" : "full",
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    settings,
    timings,
    apiRssMb: { idle: idleRss, afterLoad: settled.mb, secondsAfterLoad: settled.seconds },
    captured: Object.fromEntries(
      Object.entries(captured).map(([k, v]) => [k, v.map((s) => s.text.replace(/\s+/g, " "))]),
    ),
    rows,
    targets: checks,
  };
  writeFileSync(file, `${JSON.stringify(record_, null, 2)}\n`);
  writeFileSync(join(resultsDir, "latest.json"), `${JSON.stringify(record_, null, 2)}\n`);
  say(`results in ${file}; took ${timings.total.toFixed(0)} s`);
} catch (error) {
  console.error("[bench] failed:", error);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);

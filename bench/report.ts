/** The bench's table and its JSON record. */
import type { LoadResult } from "./load.ts";

export interface Row extends LoadResult {
  readonly scenario: string;
  /** `api` (over HTTP), `baseline` (the same SQL with plain pg), `worker`, or `better-auth` (the peer, over HTTP). */
  readonly against: "api" | "baseline" | "worker" | "better-auth";
  readonly concurrency: number;
  /** SQL statements per request, counted by pg_stat_statements under load. */
  readonly sqlPerRequest?: number;
  /** Statements one request sends, counted at the driver on a single request. */
  readonly sqlCaptured?: number;
  /** Execution time PostgreSQL spent per request (pg_stat_statements), ms. */
  readonly dbMsPerRequest?: number;
  /** CPU time per request of the API process, of every PostgreSQL process and of the bench process (load generator or baseline). */
  readonly cpuMsPerRequest?: { readonly api?: number; readonly postgres: number; readonly loadGenerator: number };
  /** Highest API resident set size seen during the run, MB. */
  readonly rssMb?: number;
  /** API throughput / baseline throughput. */
  readonly ratio?: number;
  /** The statements PostgreSQL spent most time on during the run. */
  readonly topStatements?: ReadonlyArray<{ statement: string; calls: number; meanMs: number; totalMs: number }>;
  readonly note?: string;
}

const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || Number.isNaN(n) ? "" : n >= 100 ? Math.round(n).toString() : n.toFixed(digits);

export const table = (rows: ReadonlyArray<Row>): string => {
  const header = [
    "scenario",
    "against",
    "conc",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "SQL/req",
    "cpu ms/req: api",
    "pg",
    "bench",
    "RSS MB",
    "ratio",
  ];
  const body = rows.map((r) => [
    r.scenario,
    r.against,
    String(r.concurrency),
    fmt(r.throughput),
    fmt(r.p50, 2),
    fmt(r.p95, 2),
    fmt(r.p99, 2),
    String(r.errors),
    r.sqlPerRequest === undefined
      ? ""
      : `${fmt(r.sqlPerRequest)}${r.sqlCaptured === undefined ? "" : ` (${r.sqlCaptured})`}`,
    fmt(r.cpuMsPerRequest?.api, 2),
    fmt(r.cpuMsPerRequest?.postgres, 2),
    fmt(r.cpuMsPerRequest?.loadGenerator, 2),
    fmt(r.rssMb),
    r.ratio === undefined ? "" : r.ratio.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
};

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

export const targetsText = (checks: ReadonlyArray<TargetCheck>): string =>
  checks
    .map((c) => `${c.met === null ? "  n/a " : c.met ? "  met " : "  MISS "} ${c.target}: ${c.measured}`)
    .join("\n");

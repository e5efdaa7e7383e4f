/**
 * A closed-loop load generator over keep-alive HTTP/1.1 connections: `concurrency` loops, each
 * sending its next request as soon as the previous answer is read.
 */
import { Agent, request } from "node:http";

export interface HttpRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export const makeHttp = (baseUrl: string, maxSockets: number) => {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 1000 });
  const send = (req: HttpRequest): Promise<HttpAnswer> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...req.headers };
      if (req.body !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = Buffer.byteLength(req.body);
      }
      const r = request(
        { agent, host: url.hostname, port: url.port, method: req.method, path: req.path, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            // Decoded only when read: a load loop reads the status of 1,000-row pages, and
            // turning each into a string would spend the machine's CPU the API also needs.
            let text: string | undefined;
            resolve({
              status: res.statusCode ?? 0,
              get body() {
                text ??= Buffer.concat(chunks).toString("utf8");
                return text;
              },
            });
          });
          res.on("error", reject);
        },
      );
      r.on("error", reject);
      r.end(req.body);
    });
  return { send, close: () => agent.destroy() };
};

export type Http = ReturnType<typeof makeHttp>;

/** A tRPC call: mutations are POST with a JSON body, queries GET with `?input=`. */
export const trpc = (kind: "query" | "mutation", procedure: string, input: unknown, secret?: string): HttpRequest => {
  const headers: Record<string, string> = secret ? { authorization: `Bearer ${secret}` } : {};
  return kind === "mutation"
    ? { method: "POST", path: `/trpc/${procedure}`, headers, body: JSON.stringify(input) }
    : { method: "GET", path: `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, headers };
};

/** Calls a procedure and answers its `result.data`, or throws with the error body. */
export const call = async <T = any>(
  http: Http,
  kind: "query" | "mutation",
  procedure: string,
  input: unknown,
  secret?: string,
): Promise<T> => {
  const answer = await http.send(trpc(kind, procedure, input, secret));
  if (answer.status !== 200) throw new Error(`${procedure} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  return (JSON.parse(answer.body) as { result: { data: T } }).result.data;
};

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly throughput: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** A few failures, as answered, to tell what went wrong. */
  readonly errorSamples: ReadonlyArray<string>;
  /** True when the work ran out before the time did. */
  readonly exhausted: boolean;
}

export const percentile = (sorted: Float64Array, p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);

/**
 * Runs `concurrency` loops for `warmupMs` (not counted) and then `durationMs` (counted; longer if no
 * request begun in it has ended by then). `op`
 * does one unit of work and answers whether it succeeded (or an error text); `next` answers the
 * loop's next unit, or null when there is no more work.
 */
export const runLoad = async <W>(options: {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly next: () => W | null;
  readonly op: (work: W) => Promise<true | string>;
  /**
   * Called when counting starts and when it ends, with a function that answers how many units
   * have completed so far (counted or not), for measures taken beside the load.
   */
  readonly onWindow?: (edge: "start" | "end", completed: () => number) => void | Promise<void>;
}): Promise<LoadResult> => {
  let measuring = false;
  let stopped = false;
  let exhausted = false;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let errors = 0;
  let completed = 0;
  const errorSamples: string[] = [];
  const loop = async () => {
    while (!stopped) {
      const work = options.next();
      if (work === null) {
        exhausted = true;
        return;
      }
      const counted = measuring;
      const t0 = performance.now();
      let outcome: true | string;
      try {
        outcome = await options.op(work);
      } catch (error) {
        outcome = String(error instanceof Error ? error.message : error);
      }
      const ms = performance.now() - t0;
      completed++;
      if (!counted || !measuring) continue;
      if (outcome !== true) {
        errors++;
        if (errorSamples.length < 3) errorSamples.push(outcome.slice(0, 300));
        continue;
      }
      if (count === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[count++] = ms;
    }
  };
  const loops = Array.from({ length: options.concurrency }, loop);
  const all = Promise.all(loops);
  const sleep = (ms: number) => Promise.race([new Promise((r) => setTimeout(r, ms)), all.then(() => undefined)]);
  await sleep(options.warmupMs);
  await options.onWindow?.("start", () => completed);
  measuring = true;
  const t0 = performance.now();
  await sleep(options.durationMs);
  // A window shorter than one request (a quick run on a busy machine) would measure nothing: it
  // stays open until a request begun inside it has ended, for a minute at most.
  while (count + errors === 0 && !exhausted && performance.now() - t0 < 60_000) await sleep(20);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  await options.onWindow?.("end", () => completed);
  stopped = true;
  await all;
  const sorted = latencies.slice(0, count).sort();
  return {
    requests: count,
    errors,
    seconds,
    throughput: count / seconds,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    errorSamples,
    exhausted,
  };
};

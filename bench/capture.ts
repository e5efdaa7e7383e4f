/**
 * The baseline: the SQL the API sends for one request, captured at the `pg` driver, then replayed
 * with plain `pg` (one pool, no ORM, no HTTP) with fresh values each time.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { uuidv7 } from "@admit/db";
import pg from "pg";

export interface Statement {
  /** Which connection sent it during the capture (statements of one transaction share one). */
  readonly connection: number;
  readonly text: string;
  readonly values: ReadonlyArray<unknown> | undefined;
}

let recording: Statement[] | null = null;
/**
 * The texts of the statements the API prepared, by quoted name: through the protocol (a named
 * query) or with PREPARE in a string that runs it at once (`prepare "a…" as …;\nexecute "a…"(…)`,
 * packages/db/src/heldTransaction.ts). Kept whether or not a request is being recorded: a
 * recorded request may only EXECUTE what an earlier one prepared on its connection.
 */
const preparedTexts = new Map<string, string>();
const PREPARE = /(?:^|;\n)prepare ("[^"]+") as ([\s\S]*?)(?=;\nexecute \1\()/g;
const EXECUTE = /(?:^|\n)execute ("[^"]+")\(/g;
const connectionIds = new WeakMap<object, number>();
let nextConnection = 0;
const originalQuery = pg.Client.prototype.query;

/**
 * Wraps `pg.Client#query` of this process so that every statement sent while `record` runs is
 * kept. MikroORM inlines its parameters into the text (`values` empty); pg-boss binds them.
 */
export const installCapture = () => {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [query] = args as [unknown];
    if (typeof query === "string" && query.includes('prepare "')) {
      for (const [, name, text] of query.matchAll(PREPARE)) preparedTexts.set(name as string, text as string);
    } else if (query !== null && typeof query === "object") {
      const { name, text } = query as { name?: unknown; text?: unknown };
      if (typeof name === "string" && typeof text === "string") preparedTexts.set(`"${name}"`, text);
    }
    if (recording !== null) {
      let id = connectionIds.get(this);
      if (id === undefined) {
        id = nextConnection++;
        connectionIds.set(this, id);
      }
      const [first, second] = args as [unknown, unknown];
      const config = typeof first === "string" ? { text: first, values: second } : (first as Record<string, unknown>);
      if (typeof config.text === "string") {
        const values = Array.isArray(config.values) ? config.values : undefined;
        recording.push({ connection: id, text: config.text, values });
      }
    }
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  return () => {
    pg.Client.prototype.query = originalQuery;
  };
};

export const record = async (run: () => Promise<void>): Promise<Statement[]> => {
  recording = [];
  try {
    await run();
    return recording;
  } finally {
    recording = null;
  }
};

/** A unit of replay: statements sent outside a transaction, or one BEGIN … COMMIT block. */
type Step =
  | { readonly kind: "autocommit"; readonly statement: Statement }
  | { readonly kind: "transaction"; readonly statements: Statement[] };

const isBegin = (s: Statement) => /^\s*begin\b/i.test(s.text);
/** COMMIT or ROLLBACK, alone or ending a string (the API's last statement can travel with COMMIT). */
const isEnd = (s: Statement) => /(?:^|;\n)\s*(commit|rollback)\s*$/i.test(s.text);

export const stepsOf = (statements: ReadonlyArray<Statement>): Step[] => {
  const steps: Step[] = [];
  const open = new Map<number, Statement[]>();
  for (const s of statements) {
    const tx = open.get(s.connection);
    if (tx) {
      tx.push(s);
      if (isEnd(s)) open.delete(s.connection);
    } else if (isBegin(s)) {
      const block = [s];
      open.set(s.connection, block);
      steps.push({ kind: "transaction", statements: block });
    } else {
      steps.push({ kind: "autocommit", statement: s });
    }
  }
  return steps;
};

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const HASH = /(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/g;

/**
 * Per replayed request: `fixed` values are kept (tenant, website and key ids, the key's hash), `mapped` ones are
 * swapped for given values (the email, an accept token's hash), and every other UUID or 64-digit
 * hash the request carried gets a fresh one, the same one everywhere it appears in the request.
 * A value swapped in is kept as given: it names a row that exists (the invite an accept answers),
 * and a fresh one in its place would name none.
 */
export const makeRewriter = (fixed: ReadonlySet<string>, mapped: ReadonlyMap<string, string>) => {
  const fresh = new Map<string, string>(mapped);
  const given = new Set(mapped.values());
  const replaceIn = (s: string) => {
    let out = s;
    for (const [from, to] of mapped) if (out.includes(from)) out = out.split(from).join(to);
    const renew = (old: string, make: () => string) => {
      if (fixed.has(old) || given.has(old)) return old;
      const known = fresh.get(old);
      if (known !== undefined) return known;
      const made = make();
      fresh.set(old, made);
      return made;
    };
    out = out.replace(UUID, (u) => renew(u, () => (u[14] === "7" ? uuidv7() : randomUUID())));
    return out.replace(HASH, (h) => renew(h, () => randomBytes(32).toString("hex")));
  };
  const value = (v: unknown): unknown => {
    if (typeof v === "string") return replaceIn(v);
    if (Array.isArray(v)) return v.map(value);
    if (v !== null && typeof v === "object" && !(v instanceof Date) && !Buffer.isBuffer(v))
      return replaceIn(JSON.stringify(v));
    return v;
  };
  return (s: Statement) => ({ text: replaceIn(s.text), values: s.values?.map(value) });
};

export type Rewriter = ReturnType<typeof makeRewriter>;

/**
 * One statement as the API sends it: with parameters, a named prepared statement of its
 * connection (packages/db/src/orm.ts), so the baseline is spared re-planning just as the API is.
 */
const send = (target: pg.Pool | pg.PoolClient, q: { text: string; values: unknown[] | undefined }) =>
  q.values !== undefined && q.values.length > 0
    ? target.query({
        name: `r${createHash("sha1").update(q.text).digest("base64url")}`,
        text: q.text,
        values: q.values,
      })
    : target.query(q.text, q.values);

/** The API's prepared statements each replaying connection has prepared (as the API's connections had). */
const preparedOn = new WeakMap<object, Set<string>>();

/**
 * A string that EXECUTEs the API's prepared statements, made to run on `client`: each one PREPAREd
 * first in the same string if this connection has not prepared it yet (and only then).
 */
const sendExecuting = async (client: pg.PoolClient, text: string) => {
  let prepared = preparedOn.get(client);
  if (prepared === undefined) {
    prepared = new Set();
    preparedOn.set(client, prepared);
  }
  const bare = text.replace(PREPARE, "").replace(/^;\n/, "");
  const missing = [...new Set([...bare.matchAll(EXECUTE)].map(([, name]) => name as string))].filter(
    (name) => !prepared.has(name),
  );
  const prepares = missing.map((name) => {
    const body = preparedTexts.get(name);
    if (body === undefined) throw new Error(`the API's prepared statement ${name} was never seen`);
    return `prepare ${name} as ${body};\n`;
  });
  // Right before the first EXECUTE, as the API does.
  const at = bare.startsWith("execute ") ? 0 : bare.search(EXECUTE) + 1;
  const result = await client.query(bare.slice(0, at) + prepares.join("") + bare.slice(at));
  for (const name of missing) prepared.add(name);
  return result;
};

/** Sends one captured request's statements again, in the same transactions, through `pool`. */
export const replay = async (pool: pg.Pool, steps: ReadonlyArray<Step>, rewrite: Rewriter): Promise<void> => {
  for (const step of steps) {
    if (step.kind === "autocommit") {
      const q = rewrite(step.statement);
      await send(pool, { text: q.text, values: q.values as unknown[] | undefined });
      continue;
    }
    const client = await pool.connect();
    try {
      for (const s of step.statements) {
        const q = rewrite(s);
        if (q.values === undefined && q.text.includes('execute "')) await sendExecuting(client, q.text);
        else await send(client, { text: q.text, values: q.values as unknown[] | undefined });
      }
      client.release();
    } catch (error) {
      await client.query("rollback").catch(() => {});
      client.release();
      throw error;
    }
  }
};

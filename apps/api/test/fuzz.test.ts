import { randomUUID } from "node:crypto";
import { Agent } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routes } from "../src/rest/routes.ts";
import { appRouter } from "../src/router.ts";
import { makeTenant, uniqueEmail, useHarness } from "./harness.ts";
import { type RawAnswer, raw } from "./http.ts";

/**
 * Malformed and adversarial requests over every tRPC procedure and REST route, through the real
 * HTTP server. Whatever is sent: no 5xx, the protocol's one error shape, no message that dumps
 * validation output or echoes the request, and no row written by a request that was refused.
 *
 * FUZZ_RUNS sets the number of cases per property (default 1,250, so 2,500 in all);
 * FUZZ_SEED replays a run.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1250);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
/** Generous: a case takes 10–40 ms on a busy machine. */
const TIMEOUT = 120_000 + RUNS * 100;

const h = useHarness();
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
afterAll(() => agent.destroy());

/** Every generated string that could be echoed carries this, so an echo is easy to spot. */
const MARK = "ZQXMARK";

const PROTOTYPE_KEYS = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "prototype"];
const FIELDS = [
  "organizationId",
  "websiteId",
  "groupId",
  "inviteId",
  "apiKeyId",
  "userId",
  "id",
  "email",
  "emails",
  "name",
  "url",
  "role",
  "type",
  "method",
  "kind",
  "status",
  "firstName",
  "lastName",
  "token",
  "cursor",
  "limit",
  "ttlSeconds",
  "sso",
  "expiresAt",
  "maxUses",
  "allowedEmailDomains",
  "disabled",
  "websiteIds",
  "groupIds",
  // The REST (AthenaHQ) spellings.
  "invite_method",
  "organization_id",
  "website_id",
  "group_id",
  "website_ids",
  "group_ids",
  "first_name",
  "last_name",
];

const ids: string[] = [];

const nasty = fc.oneof(
  fc.constantFrom(
    "\u0000",
    `a\u0000${MARK}`,
    `${MARK}\ud800`,
    "\udc00",
    `x\ud83d`,
    "\u0001\u0002\u001b[31m",
    "\u2028\u2029",
    "\ufeff",
    "%00",
    "%zz",
    `<script>${MARK}</script>`,
    "' or 1=1 --",
    "../../etc/passwd",
    "",
    " ",
    "admin",
    "viewer",
    "read",
    "organization",
    "website",
    "email",
    "direct",
    "global",
    "http://example.com/\u0000",
    "https://example.com",
    "example.com",
    "2030-01-01T00:00:00Z",
    "-271821-04-20T00:00:00Z",
    "MjAyNi0wMS0wMVQwMDowMDowMC4wMDBafDAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA",
    "LTI3MTgyMS0wNC0yMFQwMDowMDowMC4wMDBafDAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA",
    ...PROTOTYPE_KEYS,
  ),
  fc.string({ maxLength: 40 }).map((s) => `${s}${MARK}`),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  fc.emailAddress().map((e) => `${MARK.toLowerCase()}.${e}`.slice(0, 254)),
  fc.constant(null).map(() => uniqueEmail(MARK.toLowerCase())),
  fc.constant(null).map(() => `${MARK} ${"x".repeat(300)}`),
  fc.uuid(),
  fc.constant(null).map(() => ids[Math.floor(Math.random() * ids.length)] ?? randomUUID()),
);

const scalar = fc.oneof(
  nasty,
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 50, 1000, 1001, 2 ** 53, 1e308, true, false, null),
);

const key = fc.oneof(fc.constantFrom(...FIELDS), fc.constantFrom(...PROTOTYPE_KEYS), nasty);

const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(key, tie("value"), { maxKeys: 6 }),
  ),
})).value;

/** An object of known field names, mostly plausible values: the inputs that reach the rules. */
const plausible = fc.dictionary(key, fc.oneof(scalar, fc.array(nasty, { maxLength: 4 }), json), {
  minKeys: 1,
  maxKeys: 8,
});

const deep = fc.integer({ min: 50, max: 5000 }).map((n) => "[".repeat(n) + "]".repeat(n));

/** A body as it goes on the wire: JSON text, or something that is not. */
const body = fc.oneof(
  { weight: 20, arbitrary: fc.oneof(plausible, json).map((v) => JSON.stringify(v) ?? "null") },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "{not json",
      "",
      "null",
      "[]",
      '"str"',
      '{"a":1,"a":2}',
      '{"__proto__":{"isAdmin":true}}',
      '{"name":"\\u0000"}',
      '{"name":"\\ud800"}',
      "\u0000",
      "\xff\xfe",
    ),
  },
  { weight: 2, arbitrary: deep },
  { weight: 1, arbitrary: fc.constant(null).map(() => `{"name":"${"x".repeat(1_100_000)}"}`) },
);

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "FOO"];
const auth = fc.oneof(
  { weight: 8, arbitrary: fc.constant("root") },
  { weight: 1, arbitrary: fc.constantFrom("none", "garbage", "Basic abc", `Bearer ${MARK}`) },
);
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant("application/json") },
  {
    weight: 1,
    arbitrary: fc.constantFrom("text/plain", "multipart/form-data", "application/x-www-form-urlencoded", ""),
  },
);

const headersFor = (who: string, type: string): Record<string, string> => ({
  ...(type ? { "content-type": type } : {}),
  ...(who === "root" ? { authorization: `Bearer ${h.rootKey}` } : who === "none" ? {} : { authorization: who }),
});

/** Percent-encodes what a path or query cannot carry; lone surrogates go as their raw bytes. */
const percentEncode = (s: string) =>
  s.isWellFormed() ? encodeURIComponent(s) : Buffer.from(s, "utf16le").toString("hex").replace(/../g, "%$&");

const segment = fc.oneof(
  fc.constantFrom(
    "%zz",
    "%",
    "%C0%AF",
    "%E0%A4%A",
    "%00",
    "%F0%9F%98",
    "%ED%A0%80",
    "..",
    "%2F",
    "toString",
    "__proto__",
  ),
  nasty.map(percentEncode),
);

let tables: string[] = [];
let baseline = "";
const rowCounts = async (): Promise<string> => {
  const { rows } = await h.db.query(
    `select ${tables.map((t, i) => `(select count(*) from ${t}) as c${i}`).join(", ")}`,
  );
  return JSON.stringify(rows[0]);
};

interface Tally {
  cases: number;
  byStatus: Map<number, number>;
}
const tally: Tally = { cases: 0, byStatus: new Map() };

const isStringList = (v: unknown) => Array.isArray(v) && v.every((m) => typeof m === "string" && !m.includes(MARK));

const checkFieldErrors = (fieldErrors: unknown) => {
  expect(fieldErrors).toBeTypeOf("object");
  expect(Object.keys(fieldErrors as object).length).toBeGreaterThan(0);
  for (const messages of Object.values(fieldErrors as object)) expect(isStringList(messages)).toBe(true);
};

const checkMessage = (message: unknown) => {
  expect(message).toBeTypeOf("string");
  expect(message).not.toContain(MARK);
  expect(message).not.toMatch(/^\s*[[{]/);
  expect(message).not.toMatch(/"(code|path|expected|received)"/);
};

const checkTrpcError = (error: any, status: number) => {
  expect(Object.keys(error).sort()).toEqual(["code", "data", "message"]);
  checkMessage(error.message);
  expect(error.code).toBeTypeOf("number");
  expect(error.data.httpStatus).toBe(status);
  expect(error.data.code).toBeTypeOf("string");
  expect(error.data.reason).toMatch(/^[a-z_]+$/);
  if (error.data.reason === "invalid_input") checkFieldErrors(error.data.fieldErrors);
};

const checkRestError = (body: any, status: number) => {
  expect(Object.keys(body)).toEqual(["error"]);
  const { code, reason, message, fieldErrors, ...rest } = body.error;
  expect(rest).toEqual({});
  expect(code).toBeTypeOf("string");
  expect(reason).toMatch(/^[a-z_]+$/);
  checkMessage(message);
  if (reason === "invalid_input") checkFieldErrors(fieldErrors);
  else expect(fieldErrors === undefined || typeof fieldErrors === "object").toBe(true);
  expect(status).toBeGreaterThanOrEqual(400);
};

/** The answer is not a 5xx, has the shape of its protocol, and wrote nothing unless it succeeded. */
const check = async (
  protocol: "trpc" | "rest" | "page",
  mayWrite: (answer: RawAnswer) => boolean,
  send: () => Promise<RawAnswer>,
  method: string,
) => {
  const before = baseline;
  const answer = await send();
  tally.cases++;
  tally.byStatus.set(answer.status, (tally.byStatus.get(answer.status) ?? 0) + 1);
  try {
    expect(answer.status).toBeLessThan(500);
    expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    if (method === "HEAD") expect(answer.text).toBe("");
    else if (answer.status >= 400 && protocol === "trpc") {
      expect(answer.json).toBeDefined();
      if (Array.isArray(answer.json)) {
        for (const item of answer.json) if (item.error) checkTrpcError(item.error, item.error.data.httpStatus);
      } else checkTrpcError(answer.json.error, answer.status);
    } else if (answer.status >= 400 && protocol === "rest" && answer.status !== 405)
      checkRestError(answer.json, answer.status);
    else if (answer.status === 405 && protocol === "rest") checkRestError(answer.json, 405);
    // Cases run one after another, so the counts after one case are the counts before the next.
    baseline = await rowCounts();
    if (!(answer.status < 300 && mayWrite(answer))) expect(baseline).toBe(before);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nanswer ${answer.status}: ${answer.text.slice(0, 500)}`);
  }
};

beforeAll(async () => {
  const { rows } = await h.db.query<{ name: string }>(
    // Partitioned tables are counted once, through their parent.
    `select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where ((n.nspname = 'public' and c.relname <> 'admit_migrations') or (n.nspname = 'pgboss' and c.relname = 'job'))
       and c.relkind in ('r', 'p') and not c.relispartition`,
  );
  tables = rows.map((r) => r.name);
  console.log(`[fuzz] counting rows of ${tables.length} tables: ${tables.join(", ")}`);
  const tenant = await makeTenant(h, "Fuzz");
  const group = await h.root.groups.create.mutate({ name: "Fuzz group" });
  const invite = await h.root.invites.create.mutate({ organizationId: tenant.org.id, email: uniqueEmail() });
  const link = await h.root.linkInvites.create.mutate({ organizationId: tenant.org.id });
  ids.push(tenant.org.id, tenant.website.id, tenant.key.id, group.id, link.id);
  if ("inviteId" in invite && invite.inviteId) ids.push(invite.inviteId);
  baseline = await rowCounts();
});

afterAll(() => {
  const statuses = [...tally.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
  console.log(`[fuzz] ${tally.cases} requests, no 5xx; statuses ${statuses.join(" ")}`);
});

const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
).map(([path, p]) => ({ path, type: p._def.type }));

describe("fuzz: no input produces a 5xx, a second error shape, or a write", () => {
  it("covers every procedure and route", () => {
    expect(procedures.length).toBeGreaterThan(30);
    expect(routes.length).toBeGreaterThan(5);
  });

  it(
    "tRPC: every procedure, any input, method and encoding",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...procedures),
          fc.oneof(plausible, json),
          body,
          fc.constantFrom("natural", "natural", "natural", "raw", "batch", "other-method"),
          fc.constantFrom(...METHODS),
          auth,
          contentType,
          async (procedure, input, rawBody, mode, otherMethod, who, type) => {
            const encoded = JSON.stringify(input) ?? "null";
            const isQuery = procedure.type === "query";
            let method = isQuery ? "GET" : "POST";
            let path = `/trpc/${procedure.path}`;
            let payload: string | undefined;
            if (mode === "natural") {
              if (isQuery) path += `?input=${encodeURIComponent(encoded)}`;
              else payload = encoded;
            } else if (mode === "raw") {
              if (isQuery) path += `?input=${percentEncode(rawBody.slice(0, 4000))}`;
              else payload = rawBody;
            } else if (mode === "batch") {
              path += "?batch=1";
              if (isQuery) path += `&input=${encodeURIComponent(JSON.stringify({ 0: input }))}`;
              else payload = JSON.stringify({ 0: input });
            } else {
              method = otherMethod;
              payload = method === "GET" || method === "HEAD" ? undefined : rawBody;
            }
            const headers = headersFor(who, payload === undefined ? "" : type);
            await check(
              "trpc",
              () => procedure.type === "mutation",
              () => raw(h.url, { method, path, headers, agent, ...(payload === undefined ? {} : { body: payload }) }),
              method,
            );
          },
        ),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
    },
    TIMEOUT,
  );

  it(
    "REST, pages and unknown paths: any path, escape, method, query and body",
    async () => {
      const target = fc.oneof(
        {
          weight: 8,
          arbitrary: fc
            .tuple(fc.constantFrom(...routes), fc.array(segment, { minLength: 3, maxLength: 3 }), fc.boolean())
            .map(([route, segments, natural]) => {
              let i = 0;
              const path = route.path.replace(/\{[^}]+\}/g, () => {
                const s = segments[i++] as string;
                return natural ? (ids[i] ?? s) : s;
              });
              return { protocol: "rest" as const, path, route: route.method as string };
            }),
        },
        {
          weight: 2,
          arbitrary: fc
            .tuple(fc.constantFrom("/invites/accept", "/invites/decline"), segment)
            .map(([p, token]) => ({ protocol: "page" as const, path: `${p}?token=${token}`, route: "POST" })),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(
              fc.constantFrom("/", "/healthz", "/readyz", "/openapi.json", "/v1/", "/v2/x", "/trpc", "/%zz/"),
              segment,
            )
            .map(([p, s]) => ({ protocol: "rest" as const, path: `${p}${s}`, route: "GET" })),
        },
      );
      await fc.assert(
        fc.asyncProperty(
          target,
          fc.oneof(fc.constant(null), fc.constantFrom(...METHODS)),
          body,
          fc.array(fc.tuple(fc.constantFrom("limit", "page", "token", "toString", "__proto__"), segment), {
            maxLength: 3,
          }),
          auth,
          contentType,
          async (t, otherMethod, payload, query, who, type) => {
            const method = otherMethod ?? t.route;
            const qs = query.map(([k, v]) => `${k}=${v}`).join("&");
            const path = qs ? `${t.path}${t.path.includes("?") ? "&" : "?"}${qs}` : t.path;
            const hasBody = method !== "GET" && method !== "HEAD";
            const form = t.protocol === "page" ? "application/x-www-form-urlencoded" : type;
            await check(
              t.protocol,
              () => method === "POST" || method === "PATCH" || method === "DELETE",
              () =>
                raw(h.url, {
                  method,
                  path,
                  headers: headersFor(who, hasBody ? form : ""),
                  agent,
                  ...(hasBody ? { body: payload } : {}),
                }),
              method,
            );
          },
        ),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
    },
    TIMEOUT,
  );
});

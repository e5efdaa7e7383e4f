import { randomBytes, randomUUID } from "node:crypto";
import { initOrm, makeTokenSealer } from "@admit/db";
import type {} from "@admit/db/testing";
import { TRPCClientError } from "@trpc/client";
import pg from "pg";
import { afterAll, beforeAll, expect, inject } from "vitest";
// The client's source, by path: `@admit/client` is built from this package's router type, so it
// cannot also be a dependency of it (the adoption check drives the packed package). The tests still
// go through the real client, per-call idempotency keys included.
import { type AdmitClient, createAdmitClient } from "../../../packages/client/src/index.ts";
import { type ApiServer, loadConfig, startApiServer } from "../src/index.ts";

export type { AdmitClient };

export interface Harness {
  readonly api: ApiServer;
  readonly url: string;
  readonly rootKey: string;
  /** A client authenticated with the root key. */
  readonly root: AdmitClient;
  readonly db: pg.Pool;
  client(apiKey?: string): AdmitClient;
  /** The accept token of an invite's current delivery, read as the mail worker reads it. */
  acceptToken(inviteId: string): Promise<string>;
}

/** Starts the real API server on the test database for the tests of one file. */
export const useHarness = (
  options: { onQuery?: (sql: string) => void; env?: Record<string, string> } = {},
): Harness => {
  const rootKey = `root_${randomBytes(24).toString("base64url")}`;
  const tokenKey = randomBytes(32).toString("base64url");
  const h = {} as { -readonly [K in keyof Harness]: Harness[K] };
  beforeAll(async () => {
    const config = loadConfig({
      DATABASE_URL: inject("databaseUrl"),
      PORT: "0",
      HOST: "127.0.0.1",
      ADMIT_ROOT_KEY: rootKey,
      PUBLIC_URL: "http://admit.test",
      TOKEN_ENCRYPTION_KEY: tokenKey,
      WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
      ...options.env,
    });
    const orm = options.onQuery
      ? await initOrm({ databaseUrl: config.databaseUrl, poolSize: 20, onQuery: options.onQuery })
      : undefined;
    h.api = await startApiServer(config, orm ? { orm } : {});
    if (orm) closeOrm = () => orm.close();
    h.url = h.api.url;
    h.rootKey = rootKey;
    h.client = (apiKey?: string) => createAdmitClient({ url: h.api.url, batch: false, ...(apiKey ? { apiKey } : {}) });
    h.root = h.client(rootKey);
    h.db = new pg.Pool({ connectionString: inject("databaseUrl"), max: 4 });
    const sealer = makeTokenSealer(tokenKey);
    h.acceptToken = async (inviteId: string) => {
      const { rows } = await h.db.query(
        "select d.token_sealed from invites i join deliveries d on d.id = i.delivery_id where i.id = $1",
        [inviteId],
      );
      return sealer.open(rows[0].token_sealed);
    };
  });
  let closeOrm = async () => {};
  afterAll(async () => {
    await h.db?.end();
    await h.api?.close();
    await closeOrm();
  });
  return h;
};

/** A fresh organization with one website and an organization key: every test gets its own tenant. */
export const makeTenant = async (h: Harness, name = "Acme") => {
  const org = await h.root.organizations.create.mutate({ name: `${name} ${randomUUID().slice(0, 8)}` });
  const website = await h.root.websites.create.mutate({ organizationId: org.id, name: `${name} site` });
  const key = await h.root.apiKeys.create.mutate({ kind: "organization", organizationId: org.id, name: `${name} key` });
  return { org, website, key, client: h.client(key.secret) };
};

/**
 * Calls a REST route with a JSON body (a string body is sent as it is) as `key` (the root key by
 * default, none with null), answering the status, headers and parsed JSON body.
 */
export const rest = async (
  h: Harness,
  method: string,
  path: string,
  body?: unknown,
  key: string | null = h.rootKey,
) => {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
};

export const uniqueEmail = (label = "person") => `${label}.${randomUUID().slice(0, 12)}@example.com`;

export interface ErrorBody {
  readonly code: string;
  readonly reason: string;
  readonly fieldErrors?: Record<string, string[]>;
  readonly httpStatus: number;
}

/** Awaits a call that must fail and answers its error data. */
export const failure = async (call: Promise<unknown>): Promise<ErrorBody & { message: string }> => {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(TRPCClientError);
    const e = error as TRPCClientError<never>;
    return { ...(e.data as unknown as ErrorBody), message: e.message };
  }
  throw new Error("expected the call to fail, but it succeeded");
};

export const count = async (h: Harness, sql: string, params: unknown[] = []): Promise<number> => {
  const { rows } = await h.db.query<{ n: string }>(`select count(*) as n from (${sql}) q`, params);
  return Number(rows[0]?.n);
};

/** Row counts of every table an invite can write to, to prove a refused request wrote nothing. */
export const snapshot = async (h: Harness) => {
  const { rows } = await h.db.query(
    `select (select count(*) from users) u, (select count(*) from memberships) m,
            (select count(*) from invites) i, (select count(*) from deliveries) d,
            (select count(*) from events) e, (select count(*) from webhook_endpoints) wh,
            (select max(updated_at) from invites) iu`,
  );
  return rows[0];
};

/**
 * The Better Auth peer: its own database and role on the bench's PostgreSQL, its schema from its
 * own migration planner, its server as a child process, and one signed-in owner of enough
 * organizations that no organization reaches Better Auth's default pending-invitation limit.
 */
import { randomBytes } from "node:crypto";
import { freePort } from "@admit/db";
import pg from "pg";
import { BETTER_AUTH_INVITATION_LIMIT, migrateBetterAuth } from "./better-auth-server.ts";
import type { HttpRequest } from "./load.ts";
import { type Database, startChild, waitFor } from "./processes.ts";

export const BETTER_AUTH_ROLE = "better_auth";
export const BETTER_AUTH_DATABASE = "better_auth";

export const startBetterAuth = async (
  database: Database,
  options: { logFile: string; expectedInvitations: number; nodeFlags?: ReadonlyArray<string> },
) => {
  const admin = new pg.Client({ connectionString: database.adminUrl });
  await admin.connect();
  try {
    await admin.query(`create role ${BETTER_AUTH_ROLE} login password '${BETTER_AUTH_ROLE}'`);
    await admin.query(`create database ${BETTER_AUTH_DATABASE} owner ${BETTER_AUTH_ROLE}`);
  } finally {
    await admin.end();
  }
  const url = new URL(database.urlFor(BETTER_AUTH_DATABASE));
  url.username = BETTER_AUTH_ROLE;
  url.password = BETTER_AUTH_ROLE;
  await migrateBetterAuth(url.toString());

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = startChild("bench/better-auth-server.ts", {
    env: { DATABASE_URL: url.toString(), PORT: String(port), POOL_SIZE: "10" },
    ...(options.nodeFlags ? { nodeFlags: options.nodeFlags } : {}),
    logFile: options.logFile,
    readyPattern: /listening/,
  });
  await child.ready;
  await waitFor("Better Auth", () => fetch(`${base}/api/auth/ok`).then((r) => r.ok), 30_000, child);

  // One owner, signed in with email and password; the session cookie authenticates every request.
  const post = async (path: string, body: unknown, cookie?: string) => {
    const res = await fetch(`${base}/api/auth${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: base, ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Better Auth ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return { json: JSON.parse(text) as Record<string, any>, cookies: res.headers.getSetCookie() };
  };
  const signUp = await post("/sign-up/email", {
    email: `owner-${randomBytes(4).toString("hex")}@example.com`,
    password: randomBytes(18).toString("base64url"),
    name: "Bench owner",
  });
  const cookie = signUp.cookies.map((c) => c.split(";")[0]).join("; ");
  // Half the default limit per organization, so that no request meets it.
  const perOrganization = BETTER_AUTH_INVITATION_LIMIT / 2;
  const count = Math.max(1, Math.ceil(options.expectedInvitations / perOrganization));
  const organizations: string[] = [];
  for (let from = 0; from < count; from += 8) {
    const batch = Array.from({ length: Math.min(8, count - from) }, (_, j) =>
      post("/organization/create", { name: `Bench ${from + j}`, slug: `bench-${from + j}` }, cookie),
    );
    for (const org of await Promise.all(batch)) organizations.push(org.json.id as string);
  }
  let next = 0;
  const headers = { cookie, origin: base };
  return {
    ...child,
    url: base,
    organizations: organizations.length,
    /** `organization/invite-member` for a new email, to the next organization in turn. */
    invite: (email: string): HttpRequest => ({
      method: "POST",
      path: "/api/auth/organization/invite-member",
      headers,
      body: JSON.stringify({
        email,
        role: "member",
        organizationId: organizations[next++ % organizations.length],
      }),
    }),
  };
};

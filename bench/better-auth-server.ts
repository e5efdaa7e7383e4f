/**
 * Better Auth as the bench's peer: its `organization` plugin on a plain `pg` Pool, served over
 * node:http by `toNodeHandler`, configured as its documentation describes, with the invitation
 * email callback a no-op and the rate limiter off. `node bench/better-auth-server.ts` listens on
 * PORT and says `listening` when ready; `migrateBetterAuth` creates its tables in its own database.
 */
import { createServer } from "node:http";
import { type BetterAuthOptions, betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { organization } from "better-auth/plugins";
import pg from "pg";

/** Pending invitations per organization Better Auth allows by default; the bench spreads its load to stay below it. */
export const BETTER_AUTH_INVITATION_LIMIT = 100;

export const betterAuthOptions = (pool: pg.Pool, baseURL: string) =>
  ({
    database: pool,
    baseURL,
    secret: process.env.BETTER_AUTH_SECRET ?? "bench-only-secret-bench-only-secret-0123456789",
    emailAndPassword: { enabled: true },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    plugins: [
      organization({
        invitationLimit: BETTER_AUTH_INVITATION_LIMIT,
        sendInvitationEmail: async () => {},
      }),
    ],
  }) satisfies BetterAuthOptions;

/** Creates (or completes) Better Auth's schema in the database `url` points at, as its CLI's `migrate` would. */
export const migrateBetterAuth = async (url: string) => {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const { runMigrations } = await getMigrations(betterAuthOptions(pool, "http://127.0.0.1"));
    await runMigrations();
  } finally {
    await pool.end();
  }
};

if (import.meta.main) {
  const port = Number(process.env.PORT ?? 0);
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) });
  pool.on("error", () => {});
  const auth = betterAuth(betterAuthOptions(pool, `http://127.0.0.1:${port}`));
  const server = createServer(toNodeHandler(auth));
  server.keepAliveTimeout = 60_000;
  server.listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));
  process.once("SIGTERM", () => {
    server.close();
    server.closeAllConnections();
    void pool.end().then(() => process.exit(0));
  });
}

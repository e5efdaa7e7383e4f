import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../embedded.ts";
import { migrate } from "../orm.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

interface SetupContext {
  provide(key: "databaseUrl", value: string): void;
}

/**
 * One throwaway, migrated database per test run: on the server named by DATABASE_URL when set,
 * otherwise on an embedded PostgreSQL started in a temporary directory and deleted afterwards.
 */
export default async function setup({ provide }: SetupContext) {
  const database = `admit_test_${process.pid}_${Date.now().toString(36)}`;
  let adminUrl: string;
  let stopServer = async () => {};
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    const dir = await mkdtemp(join(tmpdir(), "admit-pg-"));
    // When run as root, PostgreSQL runs as the `postgres` user, which must reach the data directory.
    await chmod(dir, 0o755);
    const server = await startEmbeddedPostgres({ dataDir: join(dir, "data"), throwaway: true });
    adminUrl = server.adminUrl;
    stopServer = async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const url = new URL(adminUrl);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${database}`);
  await admin.end();
  url.pathname = `/${database}`;
  await migrate(url.toString());
  provide("databaseUrl", url.toString());

  return async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`drop database if exists ${database} with (force)`);
    await client.end();
    await stopServer();
  };
}

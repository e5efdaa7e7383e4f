/**
 * `pnpm dev`: PostgreSQL (embedded under .data/ unless DATABASE_URL is set), migrations, a root
 * key kept in .data/, a demo organization, a mail catcher with a web page (unless MAIL_TRANSPORT
 * is set), then the API and worker under turbo with reload.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const dataDir = resolve(root, ".data");
mkdirSync(dataDir, { recursive: true });

// Dev binds the loopback interface only: the root key printed below must not be reachable from
// the network. HOST=0.0.0.0 opts in.
const port = process.env.PORT ?? "3000";
const host = process.env.HOST ?? "127.0.0.1";

// A busy port stops dev before anything starts: otherwise the API would fail while the demo set-up
// talked to whatever else answers there, with keys it does not know.
const portError = await new Promise<NodeJS.ErrnoException | null>((settle) => {
  const probe = createServer();
  probe.once("error", (error: NodeJS.ErrnoException) => settle(error));
  probe.listen(Number(port), host, () => probe.close(() => settle(null)));
});
if (portError) {
  console.error(
    portError.code === "EADDRINUSE"
      ? `[dev] PORT ${port} is already in use on ${host} (another pnpm dev?): stop it, or choose another port, e.g. PORT=3001 pnpm dev`
      : `[dev] cannot listen on ${host}:${port} (PORT, HOST): ${portError.message}`,
  );
  process.exit(1);
}

// Loaded after the checks above, which must answer at once.
const { freePort, migrate, startEmbeddedPostgres } = await import("@admit/db");
const { default: pg } = await import("pg");
const { createAdmitClient } = await import("@admit/client");

let stopPostgres = async () => {};
let databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  const server = await startEmbeddedPostgres({ dataDir: resolve(dataDir, "postgres") });
  stopPostgres = server.stop;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  const { rowCount } = await admin.query("select 1 from pg_database where datname = 'admit'");
  if (!rowCount) await admin.query("create database admit");
  await admin.end();
  databaseUrl = server.urlFor("admit");
  console.log(`[dev] embedded PostgreSQL on port ${server.port} (data in .data/postgres)`);
}
await migrate(databaseUrl);

const keyFile = resolve(dataDir, "root-key");
const rootKey =
  process.env.ADMIT_ROOT_KEY ??
  (existsSync(keyFile) ? readFileSync(keyFile, "utf8").trim() : `admit_root_${randomBytes(32).toString("base64url")}`);
if (!process.env.ADMIT_ROOT_KEY && !existsSync(keyFile)) writeFileSync(keyFile, rootKey, { mode: 0o600 });

const tokenKeyFile = resolve(dataDir, "token-key");
const tokenKey =
  process.env.TOKEN_ENCRYPTION_KEY ??
  (existsSync(tokenKeyFile) ? readFileSync(tokenKeyFile, "utf8").trim() : randomBytes(32).toString("base64url"));
if (!process.env.TOKEN_ENCRYPTION_KEY && !existsSync(tokenKeyFile))
  writeFileSync(tokenKeyFile, tokenKey, { mode: 0o600 });

// The mail catcher: every email the worker sends lands in its web page, links and all. Ports 1025
// and 1080 when free (maildev's usual ones), any free ports otherwise.
let stopMailCatcher = async () => {};
let mailCatcherUrl: string | null = null;
const mailEnv: Record<string, string> = {};
if (!process.env.MAIL_TRANSPORT) {
  const { MailDev } = await import("maildev");
  const start = async (smtp: number, web: number) => {
    const catcher = new MailDev({
      smtp,
      web,
      ip: "127.0.0.1",
      webIp: "127.0.0.1",
      silent: true,
      maxEmails: 500,
      // Kept with this checkout's data (and across restarts), not in a /tmp folder shared by all.
      mailDirectory: resolve(dataDir, "mail"),
    });
    try {
      await catcher.start();
    } catch (error) {
      await catcher.stop().catch(() => {});
      throw error;
    }
    return catcher;
  };
  let smtp = 1025;
  let web = 1080;
  const catcher = await start(smtp, web).catch(async () => {
    smtp = await freePort();
    web = await freePort();
    return start(smtp, web);
  });
  stopMailCatcher = () => catcher.stop();
  mailCatcherUrl = `http://localhost:${web}`;
  Object.assign(mailEnv, { MAIL_TRANSPORT: "smtp", SMTP_URL: `smtp://127.0.0.1:${smtp}` });
}

const publicUrl = process.env.PUBLIC_URL ?? `http://localhost:${port}`;
const env = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  PORT: port,
  HOST: host,
  PUBLIC_URL: publicUrl,
  ADMIT_ROOT_KEY: rootKey,
  TOKEN_ENCRYPTION_KEY: tokenKey,
  // Webhooks may reach a receiver on this machine in development (plain http, loopback).
  WEBHOOK_ALLOWED_HOSTS: process.env.WEBHOOK_ALLOWED_HOSTS ?? "localhost,127.0.0.1",
  ...mailEnv,
};

const children = spawn("pnpm", ["exec", "turbo", "run", "dev", "--filter=@admit/api", "--filter=@admit/worker"], {
  cwd: root,
  env,
  stdio: "inherit",
});

let stopping = false;
const apiUrl = `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host}:${port}`;
const demo = async () => {
  // As long as the API takes to start (a cold start on a busy machine can take a minute or more);
  // the port was free when dev began, so what answers here is this API.
  for (let i = 0; i < 600 && !stopping; i++) {
    const ok = await fetch(`${apiUrl}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  if (stopping) return;
  const client = createAdmitClient({ url: apiUrl, apiKey: rootKey });
  const existing = await client.organizations.list.query({ limit: 1000 });
  const org =
    existing.items.find((o) => o.name === "Demo organization") ??
    (await client.organizations.create.mutate({ name: "Demo organization" }));
  console.log(`
[dev] Admit is running
  API          ${apiUrl}/trpc   (health ${apiUrl}/healthz)
  root key     ${rootKey}
  mail         ${mailCatcherUrl ?? `sent with MAIL_TRANSPORT=${process.env.MAIL_TRANSPORT}`}${mailCatcherUrl ? "   (every email the worker sends, with its accept link)" : ""}
  demo org     ${org.id}
  try it       curl -s -X POST ${apiUrl}/trpc/invites.create \\
                 -H 'authorization: Bearer ${rootKey}' -H 'content-type: application/json' \\
                 -d '{"organizationId":"${org.id}","method":"direct","email":"ann@example.com"}'
  webhooks     start a receiver on this machine that prints what it gets, e.g.
                 node -e "require('http').createServer((q,s)=>{let b='';q.on('data',c=>b+=c).on('end',()=>{console.log(q.headers,b);s.end()})}).listen(4000)"
               then point an endpoint at it:
               curl -s -X POST ${apiUrl}/trpc/webhooks.create \\
                 -H 'authorization: Bearer ${rootKey}' -H 'content-type: application/json' \\
                 -d '{"organizationId":"${org.id}","url":"http://localhost:4000/hooks"}'
               (answers the signing secret once; webhooks.test sends a test event; localhost is allowed in dev)
`);
};
demo().catch((error: unknown) => console.error("[dev] could not create the demo organization:", error));

const stop = async () => {
  if (stopping) return;
  stopping = true;
  children.kill("SIGTERM");
  await new Promise((r) => children.once("exit", r));
  await stopMailCatcher();
  await stopPostgres();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
children.on("exit", (code) => {
  if (!stopping)
    stopMailCatcher()
      .then(stopPostgres)
      .finally(() => process.exit(code ?? 1));
});

/**
 * Adopts `@admit/client` and `@admit/domain` as an app in another repository would: builds and
 * packs both, installs the tarballs with npm into a scratch app outside the workspace, type-checks
 * a file that uses them with `tsc` (strict, an ordinary tsconfig), and runs it on the oldest Node
 * the packages support (the machine's `node` when older than this one) against a live API on an
 * embedded PostgreSQL. Prints `adopt-check: N passed, N failed` and exits non-zero on a failure.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { migrate, startEmbeddedPostgres } from "@admit/db";
import pg from "pg";

const root = resolve(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "admit-adopt-"));
chmodSync(work, 0o755);
const app = join(work, "app");
const packs = join(work, "packs");
mkdirSync(app, { recursive: true });

let passed = 0;
let failed = 0;
const step = async (what: string, run: () => unknown) => {
  console.log(`\nadopt-check: ${what}`);
  try {
    await run();
    passed++;
    return true;
  } catch (error) {
    failed++;
    console.error(`adopt-check: FAILED: ${what}\n${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
};
const sh = (command: string, args: ReadonlyArray<string>, cwd: string, env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(command, args, { cwd, env, stdio: ["ignore", "inherit", "inherit"] });

let api: ChildProcess | undefined;
let stopPostgres = async () => {};
try {
  const built = await step("build and pack @admit/domain and @admit/client", () => {
    for (const name of ["@admit/domain", "@admit/client"]) {
      sh("pnpm", ["--filter", name, "run", "build"], root);
      sh("pnpm", ["--filter", name, "pack", "--pack-destination", packs], root);
    }
  });
  if (!built) throw new Error("nothing to install");
  const tarball = (prefix: string) => {
    const file = readdirSync(packs).find((f) => f.startsWith(prefix) && f.endsWith(".tgz"));
    if (!file) throw new Error(`no ${prefix}*.tgz in ${packs}`);
    return join(packs, file);
  };

  // The app: its own package.json and an ordinary strict tsconfig: no path mappings, no
  // `allowImportingTsExtensions`, not even `skipLibCheck` (the installed declarations are checked too).
  copyFileSync(join(root, "scripts/adopt/app.ts"), join(app, "app.ts"));
  writeFileSync(
    join(app, "package.json"),
    `${JSON.stringify({ name: "adopting-app", private: true, type: "module" }, null, 2)}\n`,
  );
  writeFileSync(
    join(app, "tsconfig.json"),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: "es2022",
          module: "nodenext",
          strict: true,
          types: ["node"],
          outDir: "out",
        },
        files: ["app.ts"],
      },
      null,
      2,
    )}\n`,
  );
  const installed = await step(
    "npm install the two tarballs, @trpc/client, typescript@5.9 and @types/node@20 into a scratch app",
    () =>
      sh(
        "npm",
        [
          "install",
          "--no-audit",
          "--no-fund",
          "--loglevel=error",
          tarball("admit-client-"),
          tarball("admit-domain-"),
          "@trpc/client@^11.25.2",
          "@types/node@20",
          "typescript@5.9",
        ],
        app,
      ),
  );
  if (!installed) throw new Error("nothing to check");

  await step(
    "the app's own tsc (TypeScript 5.9, strict) type-checks it against the installed declarations and compiles it",
    () => sh("npx", ["--no-install", "tsc", "-p", "tsconfig.json"], app),
  );
  await step("the workspace's tsc (TypeScript 7, strict) type-checks it too", () =>
    sh(join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.json", "--noEmit"], app),
  );

  // The API, on a throwaway embedded PostgreSQL.
  const dir = join(work, "pg");
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(dir, "data"), throwaway: true });
  stopPostgres = server.stop;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query("create database adopt");
  await admin.end();
  const databaseUrl = server.urlFor("adopt");
  await migrate(databaseUrl);
  const rootKey = `admit_root_${"x".repeat(40)}`;
  const child = spawn(process.execPath, [join(root, "apps/api/src/main.ts")], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HOST: "127.0.0.1",
      PORT: "0",
      ADMIT_ROOT_KEY: rootKey,
      TOKEN_ENCRYPTION_KEY: "t".repeat(40),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  api = child;
  const apiUrl = await new Promise<string>((resolveUrl, reject) => {
    let seen = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      seen += chunk.toString("utf8");
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1]) resolveUrl(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`the API exited with ${code} before listening`)));
  });

  // The oldest Node the packages claim (>= 20): the machine's own `node` when it is older than ours.
  const systemNode = ["/usr/bin/node", "/usr/local/bin/node"].find((p) => existsSync(p));
  const runtimes = [process.execPath];
  if (systemNode) {
    const version = execFileSync(systemNode, ["--version"], { encoding: "utf8" }).trim();
    if (version !== process.version) runtimes.push(systemNode);
  }
  for (const node of runtimes) {
    const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
    await step(
      `the app calls the live API on Node ${version}: creates an invite, reads fieldErrors of a refused one`,
      () => sh(node, ["out/app.js"], app, { ...process.env, ADMIT_URL: apiUrl, ADMIT_KEY: rootKey }),
    );
  }
} catch (error) {
  if (failed === 0) failed++;
  console.error(`adopt-check: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  if (api && api.exitCode === null) {
    const exited = new Promise((r) => api?.once("exit", r));
    api.kill("SIGTERM");
    await exited;
  }
  await stopPostgres().catch(() => {});
  if (process.env.ADOPT_KEEP) console.log(`adopt-check: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

console.log(`\nadopt-check: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

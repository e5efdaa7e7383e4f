/**
 * Type-checks every ```ts block of README.md, each as a module of its own, against the workspace's
 * packages (strict, the project's compiler options). `pnpm docs:examples`; run by CI.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const dir = join(root, ".tmp/readme-examples");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const readme = readFileSync(join(root, "README.md"), "utf8");
const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => ({
  code: m[1] as string,
  line: readme.slice(0, m.index).split("\n").length + 1,
}));
if (blocks.length === 0) throw new Error("README.md has no ```ts block");

const files = blocks.map(({ code, line }) => {
  const file = `readme-line-${line}.ts`;
  // `export {}` keeps each block a module even when it imports nothing.
  writeFileSync(join(dir, file), `${code}\nexport {};\n`);
  return file;
});
writeFileSync(
  join(dir, "tsconfig.json"),
  JSON.stringify({ extends: "../../tsconfig.base.json", compilerOptions: { noEmit: true }, files }, null, 2),
);
try {
  execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", join(dir, "tsconfig.json")], { stdio: "inherit" });
  console.log(
    `README.md: ${blocks.length} TypeScript example(s) type-check (lines ${blocks.map((b) => b.line).join(", ")})`,
  );
} catch {
  console.error("README.md: an example does not type-check (file names give the README line of the block)");
  process.exit(1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Runs before `pnpm dev` and `pnpm start`, in plain JavaScript so that any Node can run it: on a
// Node older than the project's, stop at once and say what is needed and how to get it.
const needed = 24;
const major = Number(process.versions.node.split(".")[0]);
if (major < needed) {
  console.error(
    [
      `Admit needs Node ${needed} or newer; this is Node ${process.versions.node} (${process.execPath}).`,
      "Get Node 24 and pnpm 12 from the npm registry, then put them first on PATH:",
      "  npm install --prefix ~/.cache/admit-toolchain node@24 pnpm@12",
      '  export PATH="$HOME/.cache/admit-toolchain/node_modules/.bin:$PATH"',
    ].join("\n"),
  );
  process.exit(1);
}

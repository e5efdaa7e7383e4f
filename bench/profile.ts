/**
 * `node bench/profile.ts <file.cpuprofile | directory>`: where a CPU profile's time went, as self
 * time per package (or workspace package, or V8 bucket such as GC and idle) and per function.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: ReadonlyArray<number>;
}

interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>;
  readonly samples: ReadonlyArray<number>;
  readonly timeDeltas: ReadonlyArray<number>;
}

/** `@mikro-orm/sql`, `node:internal/…`, `apps/api`, `(garbage collector)`. */
export const bucketOf = (url: string, functionName: string): string => {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith("node:")) return url.replace(/^node:(internal\/)?([^/]+).*$/, "node:$1$2");
  const ws = /\/(apps|packages)\/([^/]+)\//.exec(url);
  if (ws) return `${ws[1]}/${ws[2]}`;
  return url;
};

/**
 * A bundle (the API as `pnpm start` runs it, built by tsdown) opens each module it inlined with a
 * `// <path of the module>` line: a frame in it is put back in its module, and so in its package.
 */
const modulesOf = new Map<string, ReadonlyArray<{ readonly line: number; readonly path: string }>>();
const MODULE_LINE = /^\/\/ ((?:\.\.\/)*[\w@.+-][^\s]*\.(?:[cm]?js|[cm]?ts))$/;
const moduleAt = (url: string, lineNumber: number): string | null => {
  if (!url.startsWith("file://") || !/\/dist\/[^/]+\.mjs$/.test(url)) return null;
  let modules = modulesOf.get(url);
  if (modules === undefined) {
    const file = fileURLToPath(url);
    const found: { line: number; path: string }[] = [];
    if (existsSync(file))
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((text, line) => {
          const path = MODULE_LINE.exec(text)?.[1];
          if (path !== undefined) found.push({ line, path: resolve(dirname(file), "..", path) });
        });
    modules = found;
    modulesOf.set(url, modules);
  }
  let at: string | null = null;
  for (const m of modules) {
    if (m.line > lineNumber) break;
    at = m.path;
  }
  return at === null ? null : `file://${at}`;
};

/** The frame's own file: for a bundle, the module it came from. */
const sourceOf = (frame: ProfileNode["callFrame"]) => moduleAt(frame.url, frame.lineNumber) ?? frame.url;

const nameOf = (node: ProfileNode) => {
  const { functionName, lineNumber } = node.callFrame;
  const url = sourceOf(node.callFrame);
  // A frame put back in its module keeps the bundle's line, which says nothing of the module's.
  const line = url === node.callFrame.url ? `:${lineNumber + 1}` : "";
  const where = url
    ? `${url.replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "").replace(/^file:\/\/.*?\/(apps|packages|bench)\//, "$1/")}${line}`
    : "";
  return `${functionName || "(anonymous)"} ${where}`.trim();
};

export const summarize = (profile: Profile, top = 25) => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const buckets = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const bucket = bucketOf(sourceOf(node.callFrame), node.callFrame.functionName);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
    const fn = nameOf(node);
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  // Inclusive time: every function on a sample's stack gets the sample once.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (!node || node.callFrame.url === "") continue;
      seen.add(nameOf(node));
    }
    for (const fn of seen) inclusive.set(fn, (inclusive.get(fn) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const rank = (m: Map<string, number>, n = top) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return {
    totalMs: total / 1000,
    buckets: rank(buckets),
    functions: rank(functions),
    inclusive: rank(inclusive, Math.max(40, top)),
  };
};

const main = () => {
  const target = process.argv[2];
  if (!target) {
    console.error("usage: node bench/profile.ts <file.cpuprofile | directory>");
    process.exit(2);
  }
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => join(target, f))
    : [target];
  for (const file of files) {
    const s = summarize(JSON.parse(readFileSync(file, "utf8")) as Profile);
    const idle = s.buckets.find((b) => b.name === "(idle)")?.ms ?? 0;
    console.log(
      `${file}: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${((s.totalMs - idle) / 1000).toFixed(1)} s busy`,
    );
    const show = (title: string, items: ReturnType<typeof summarize>["buckets"]) => {
      console.log(`\n${title}`);
      for (const b of items)
        console.log(`${(b.share * 100).toFixed(1).padStart(6)}%  ${b.ms.toFixed(0).padStart(7)} ms  ${b.name}`);
    };
    show("self time by package", s.buckets);
    show("self time by function", s.functions);
    show("total time (with callees) by function", s.inclusive);
  }
};

if (import.meta.main) main();

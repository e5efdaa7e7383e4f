import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

const API_MAIN = resolve(import.meta.dirname, "../src/main.ts");

export interface NodeProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote so far, stdout and stderr interleaved. */
  output(): string;
}

export interface ApiProcess extends NodeProcess {
  readonly url: string;
}

/** Runs `node <script>` with only PATH inherited from the test's environment, collecting its output. */
export const spawnNode = (script: string, env: Record<string, string>): NodeProcess => {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const collect = (d: Buffer) => {
    out += d.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal })),
  );
  return { child, exited, output: () => out };
};

/** Starts `node apps/api/src/main.ts` as its own process on a random port and waits until it listens. */
export const spawnApi = async (env: Record<string, string>, timeoutMs = 180_000): Promise<ApiProcess> => {
  const { child, exited, output } = spawnNode(API_MAIN, { HOST: "127.0.0.1", PORT: "0", ...env });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API did not start:\n${output()}`)), timeoutMs);
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output());
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        resolveUrl(match[1]);
      }
    };
    child.stdout?.on("data", check);
    exited.then(() => reject(new Error(`the API exited:\n${output()}`)));
  });
  return { child, url, exited, output };
};

/** Polls `check` until it holds. */
export const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

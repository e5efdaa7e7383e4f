import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

const API_MAIN = resolve(import.meta.dirname, "../src/main.ts");

export interface ApiProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Starts `node apps/api/src/main.ts` as its own process on a random port and waits until it listens. */
export const spawnApi = async (env: Record<string, string>, timeoutMs = 180_000): Promise<ApiProcess> => {
  const child = spawn(process.execPath, [API_MAIN], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal })),
  );
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API did not start:\n${out}`)), timeoutMs);
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        resolveUrl(match[1]);
      }
    };
    child.stdout?.on("data", check);
    exited.then(() => reject(new Error(`the API exited:\n${out}`)));
  });
  return { child, url, exited, output: () => out };
};

/** Polls `check` until it holds. */
export const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

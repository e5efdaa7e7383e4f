/** A problem with the worker's environment; the message names the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export const httpUrl = (name: string, raw: string): string => {
  try {
    const url = new URL(raw);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
    return url.toString().replace(/\/$/, "");
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL (got "${raw}")`);
  }
};

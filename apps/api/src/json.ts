/** What a value becomes on the wire: no transformer, so dates travel as ISO-8601 strings. */
export type Json<T> = T extends Date
  ? string
  : T extends ReadonlyArray<infer U>
    ? Json<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Json<T[K]> }
      : T;

// Written as plain loops: a list of 1,000 invites passes through here on every page, and the
// entries/fromEntries version allocated an array per field (a fifth of the API's time on such pages).
export const toJson = <T>(value: T): Json<T> => {
  if (value instanceof Date) return value.toISOString() as Json<T>;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = toJson(value[i]);
    return out as Json<T>;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const field = toJson((value as Record<string, unknown>)[key]);
      if (key === "__proto__")
        Object.defineProperty(out, key, { value: field, enumerable: true, writable: true, configurable: true });
      else out[key] = field;
    }
    return out as Json<T>;
  }
  return value as Json<T>;
};

/**
 * The same wire form without the copy, for results that only ever reach a client through
 * `JSON.stringify` (tRPC's response): a Date serializes through `toJSON`, which is `toISOString`.
 * Used where a page of 1,000 rows made the copy a visible share of the API's time.
 */
export const asJson = <T>(value: T): Json<T> => value as unknown as Json<T>;

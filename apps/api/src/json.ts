/** What a value becomes on the wire: no transformer, so dates travel as ISO-8601 strings. */
export type Json<T> = T extends Date
  ? string
  : T extends ReadonlyArray<infer U>
    ? Json<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Json<T[K]> }
      : T;

export const toJson = <T>(value: T): Json<T> => {
  if (value instanceof Date) return value.toISOString() as Json<T>;
  if (Array.isArray(value)) return value.map(toJson) as Json<T>;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)])) as Json<T>;
  }
  return value as Json<T>;
};

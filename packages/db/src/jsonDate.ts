/**
 * Timestamps read for long lists. A page of a thousand invites carries two thousand dates, and
 * `JSON.stringify` turns each back into text through `Date.prototype.toJSON` → `toISOString`: about
 * as much time as the rest of the page's serialization. PostgreSQL already sent that text (in UTC
 * when the session's time zone is UTC), so a date read from it keeps it and answers it as its JSON:
 * the same text `toISOString` would give, made once.
 */
export class JsonDate extends Date {
  readonly #iso: string;
  readonly #time: number;

  /** `iso` must be what `toISOString` answers for it (`utcIso` makes sure of that). */
  constructor(iso: string) {
    super(iso);
    this.#iso = iso;
    this.#time = this.getTime();
  }

  // A date changed after it was read (its setters) answers its new value.
  override toJSON(): string {
    return this.getTime() === this.#time ? this.#iso : this.toISOString();
  }
}

const DASH = 45;
const SPACE = 32;
const DOT = 46;
const PLUS = 43;
const ZERO = 48;

/**
 * `2026-12-02 08:23:55.123456+00`, PostgreSQL's text of a timestamptz in UTC, as `toISOString`
 * writes the same instant (`2026-12-02T08:23:55.123Z`: milliseconds, cut not rounded, as `Date`
 * reads them); null for any other shape (another time zone, years past 9999 or BC).
 */
export const utcIso = (text: string): string | null => {
  const n = text.length;
  if (
    n < 22 ||
    n > 29 ||
    text.charCodeAt(4) !== DASH ||
    text.charCodeAt(10) !== SPACE ||
    text.charCodeAt(n - 3) !== PLUS ||
    text.charCodeAt(n - 2) !== ZERO ||
    text.charCodeAt(n - 1) !== ZERO
  )
    return null;
  if (n === 22) return `${text.slice(0, 10)}T${text.slice(11, 19)}.000Z`;
  if (text.charCodeAt(19) !== DOT) return null;
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${text.slice(20, Math.min(n - 3, 23)).padEnd(3, "0")}Z`;
};

/** A timestamp as the driver hands it over (text, or a `Date`), read as a `Date` whose JSON is ready. */
export const readTimestamp = (value: unknown): Date => {
  if (value instanceof Date) return value;
  const text = String(value);
  const iso = utcIso(text);
  return iso === null ? new Date(text) : new JsonDate(iso);
};

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

  /**
   * `iso` must be what `toISOString` answers for it (`readUtcTimestamp` makes sure of that); `time`, when
   * given, its milliseconds since the epoch (reading them from `iso` is the slow part of a `Date`).
   */
  constructor(iso: string, time?: number) {
    super(time ?? iso);
    this.#iso = iso;
    this.#time = time ?? this.getTime();
  }

  // A date changed after it was read (its setters) answers its new value.
  override toJSON(): string {
    return this.getTime() === this.#time ? this.#iso : this.toISOString();
  }
}

const DASH = 45;
const SPACE = 32;
const COLON = 58;
const DOT = 46;
const PLUS = 43;
const ZERO = 48;
const T = 84;
const Z = 90;

/** The two decimal digits at `at`, or -1. */
const twoDigits = (text: string, at: number): number => {
  const tens = text.charCodeAt(at) - ZERO;
  const units = text.charCodeAt(at + 1) - ZERO;
  return tens >= 0 && tens <= 9 && units >= 0 && units <= 9 ? tens * 10 + units : -1;
};

/** A digit's character code at `at` when it is within `end`, else `0`'s. */
const digitAt = (text: string, at: number, end: number): number => {
  if (at >= end) return ZERO;
  const code = text.charCodeAt(at);
  return code >= ZERO && code <= ZERO + 9 ? code : -1;
};

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (any year, unlike `Date.UTC`'s 0–99). */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
};

/**
 * `2026-12-02 08:23:55.123456+00`, PostgreSQL's text of a timestamptz in UTC, read as the
 * `JsonDate` of that instant: its JSON is what `toISOString` writes (`2026-12-02T08:23:55.123Z`:
 * milliseconds, cut not rounded, as `Date` reads them), made as one string, and its time is
 * counted from the digits rather than parsed again from text (a page of a thousand invites reads
 * two thousand of them). Null for any other shape (another time zone, years past 9999 or BC).
 */
export const readUtcTimestamp = (text: string): JsonDate | null => {
  const n = text.length;
  if (
    n < 22 ||
    n > 29 ||
    n === 23 ||
    text.charCodeAt(4) !== DASH ||
    text.charCodeAt(7) !== DASH ||
    text.charCodeAt(10) !== SPACE ||
    text.charCodeAt(13) !== COLON ||
    text.charCodeAt(16) !== COLON ||
    text.charCodeAt(n - 3) !== PLUS ||
    text.charCodeAt(n - 2) !== ZERO ||
    text.charCodeAt(n - 1) !== ZERO ||
    (n > 22 && text.charCodeAt(19) !== DOT)
  )
    return null;
  const century = twoDigits(text, 0);
  const yearOfCentury = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hours = twoDigits(text, 11);
  const minutes = twoDigits(text, 14);
  const seconds = twoDigits(text, 17);
  // Milliseconds: the first three digits of the fraction, as many as there are.
  const fractionEnd = n - 3;
  const m1 = digitAt(text, 20, fractionEnd);
  const m2 = digitAt(text, 21, fractionEnd);
  const m3 = digitAt(text, 22, fractionEnd);
  for (let at = 23; at < fractionEnd; at++) if (digitAt(text, at, fractionEnd) < 0) return null;
  if (
    century < 0 ||
    yearOfCentury < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hours < 0 ||
    hours > 23 ||
    minutes < 0 ||
    minutes > 59 ||
    seconds < 0 ||
    seconds > 59 ||
    m1 < 0 ||
    m2 < 0 ||
    m3 < 0
  )
    return null;
  const c = (at: number) => text.charCodeAt(at);
  const iso = String.fromCharCode(
    c(0),
    c(1),
    c(2),
    c(3),
    DASH,
    c(5),
    c(6),
    DASH,
    c(8),
    c(9),
    T,
    c(11),
    c(12),
    COLON,
    c(14),
    c(15),
    COLON,
    c(17),
    c(18),
    DOT,
    m1,
    m2,
    m3,
    Z,
  );
  const days = daysFromCivil(century * 100 + yearOfCentury, month, day);
  const time =
    ((days * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000 + (m1 - ZERO) * 100 + (m2 - ZERO) * 10 + (m3 - ZERO);
  return new JsonDate(iso, time);
};

/** The ISO text `toISOString` writes for PostgreSQL's UTC text of a timestamptz, or null for any other shape. */
export const utcIso = (text: string): string | null => readUtcTimestamp(text)?.toJSON() ?? null;

/** A timestamp as the driver hands it over (text, or a `Date`), read as a `Date` whose JSON is ready. */
export const readTimestamp = (value: unknown): Date => {
  if (value instanceof Date) return value;
  const text = String(value);
  return readUtcTimestamp(text) ?? new Date(text);
};

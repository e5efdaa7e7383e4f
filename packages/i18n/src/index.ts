import { IntlMessageFormat } from "intl-messageformat";
import { de } from "./messages/de.ts";
import { en, type MessageId } from "./messages/en.ts";
import { fr } from "./messages/fr.ts";

export type { MessageId } from "./messages/en.ts";

/** The catalogue shared by the emails (worker) and the pages (API). */
const CATALOGUE = { en, fr, de } as const satisfies Record<string, Record<MessageId, string>>;

export type Locale = keyof typeof CATALOGUE;
export const LOCALES = Object.keys(CATALOGUE) as ReadonlyArray<Locale>;
export const DEFAULT_LOCALE: Locale = "en";

const isLocale = (value: string): value is Locale => value in CATALOGUE;

/** The supported language of a tag such as `fr-CA` or `DE`, if any. */
export const matchLocale = (tag: string | null | undefined): Locale | null => {
  const base = tag?.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  return isLocale(base) ? base : null;
};

/** The languages of an `Accept-Language` header, most wanted first (RFC 9110 quality values). */
export const parseAcceptLanguage = (header: string | null | undefined): string[] =>
  (header ?? "")
    .split(",")
    .slice(0, 20)
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((l) => l.tag !== "" && l.tag !== "*" && Number.isFinite(l.q) && l.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((l) => l.tag);

/**
 * The language to speak: the first supported of the explicit choices (the invite's, then the
 * organization's), else the browser's best supported one, else English.
 */
export const chooseLocale = (
  choices: ReadonlyArray<string | null | undefined>,
  acceptLanguage?: string | null,
): Locale => {
  for (const choice of choices) {
    const match = matchLocale(choice);
    if (match) return match;
  }
  for (const tag of parseAcceptLanguage(acceptLanguage)) {
    const match = matchLocale(tag);
    if (match) return match;
  }
  return DEFAULT_LOCALE;
};

export type Values = Record<string, string | number>;

const formats = new Map<string, IntlMessageFormat>();

export interface Translator {
  readonly locale: Locale;
  /** One message with its values; the result is plain text (escape it for HTML). */
  t(id: MessageId, values?: Values): string;
  /** The one date format of emails and pages: day, month in words, year, time, in UTC. */
  date(date: Date): string;
  /** "A, B and C" in the reader's language. */
  list(items: ReadonlyArray<string>): string;
  /** "in 3 days", "tomorrow", "in 5 hours" from now. */
  relative(date: Date, now: Date): string;
}

export const translator = (locale: Locale): Translator => {
  const dates = new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "long",
    day: "numeric",
    // "numeric": English writes "3:30 PM", not "03:30 PM"; French and German keep "09:05".
    hour: "numeric",
    minute: "2-digit",
    timeZone: "UTC",
    timeZoneName: "short",
  });
  const lists = new Intl.ListFormat(locale, { style: "long", type: "conjunction" });
  const relatives = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  return {
    locale,
    t: (id, values) => {
      const key = `${locale}:${id}`;
      let format = formats.get(key);
      if (format === undefined) {
        format = new IntlMessageFormat(CATALOGUE[locale][id], locale);
        formats.set(key, format);
      }
      return String(format.format(values));
    },
    date: (date) => dates.format(date),
    list: (items) => lists.format(items),
    relative: (date, now) => {
      const minutes = Math.round((date.getTime() - now.getTime()) / 60_000);
      const abs = Math.abs(minutes);
      if (abs < 60) return relatives.format(minutes, "minute");
      if (abs < 48 * 60) return relatives.format(Math.round(minutes / 60), "hour");
      return relatives.format(Math.round(minutes / (24 * 60)), "day");
    },
  };
};

/** The catalogue's raw messages, for tests that hold every language to the same keys. */
export const catalogue = CATALOGUE;
export * from "./brand.ts";

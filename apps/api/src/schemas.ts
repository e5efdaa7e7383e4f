import { decodeCursor } from "@admit/db";
import { EVENT_TYPES, parseEmail, ROLES, SUPPORTED_LOCALES, TARGET_TYPES } from "@admit/domain";
import { z } from "zod";

/**
 * Shared input pieces. Every object is strict: an unknown field is named and refused.
 *
 * Every string input is built on `text()`: PostgreSQL cannot store a NUL character, and an
 * unpaired UTF-16 surrogate has no UTF-8 form (the driver would silently replace it). Both are
 * refused with an error on the field, never rewritten.
 */
export const UNSTORABLE_TEXT = "Must not contain NUL characters or unpaired surrogates";

export const isStorableText = (value: string): boolean => !value.includes("\u0000") && value.isWellFormed();

export const text = (options: { error?: string } = {}) =>
  z
    .string({ error: options.error ?? "Must be a string" })
    .refine(isStorableText, { error: UNSTORABLE_TEXT, abort: true });

/**
 * A UUID, in the lower-case form ids are stored and answered in: UUIDs are case-insensitive, and
 * the rules compare ids as strings, so `01A2…` must name the same target as `01a2…`.
 */
export const id = z.guid({ error: "Must be a UUID" }).transform((value) => value.toLowerCase());

export const role = z.enum(ROLES, { error: `Must be one of: ${ROLES.join(", ")}` });

export const targetType = z.enum(TARGET_TYPES, { error: `Must be one of: ${TARGET_TYPES.join(", ")}` });

/** Trimmed and lower-cased; at most 254 characters; one plain address (no display name). */
export const email = text().transform((value, ctx) => {
  const parsed = parseEmail(value);
  if (parsed.ok) return parsed.email;
  ctx.issues.push({ code: "custom", message: parsed.message, input: value });
  return z.NEVER;
});

export const personName = text().trim().max(100, "At most 100 characters");

export const displayName = text().trim().min(1, "Required").max(200, "At most 200 characters");

/** Years PostgreSQL's timestamptz holds and a cursor could honestly carry. */
const isCursor = (value: string): boolean => {
  const position = decodeCursor(value);
  if (position === null) return false;
  const year = position.createdAt.getUTCFullYear();
  return year >= 1970 && year <= 9999;
};

export const cursor = text()
  .max(200)
  .refine(isCursor, "Invalid cursor")
  .nullish()
  .transform((c) => c ?? null);

export const limit = z.number().int().min(1).max(1000).default(50);

export const page = { cursor, limit };

export const locale = z.enum(SUPPORTED_LOCALES, { error: `Must be one of: ${SUPPORTED_LOCALES.join(", ")}` });

export const eventType = z.enum(EVENT_TYPES, { error: "Unknown event type" });

/** A list of event types, each named on its own when unknown (`eventTypes.2`). */
export const eventTypes = z.array(eventType).max(EVENT_TYPES.length * 2, "Too many event types");

export const timestamp = z.iso
  .datetime({ offset: true, error: "Must be an ISO-8601 timestamp" })
  .transform((s) => new Date(s));

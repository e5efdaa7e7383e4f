import { decodeCursor } from "@admit/db";
import { parseEmail, ROLES, TARGET_TYPES } from "@admit/domain";
import { z } from "zod";

/** Shared input pieces. Every object is strict: an unknown field is named and refused. */
export const id = z.guid({ error: "Must be a UUID" });

export const role = z.enum(ROLES, { error: `Must be one of: ${ROLES.join(", ")}` });

export const targetType = z.enum(TARGET_TYPES, { error: `Must be one of: ${TARGET_TYPES.join(", ")}` });

/** Trimmed and lower-cased; at most 254 characters; one plain address (no display name). */
export const email = z.string({ error: "Must be a string" }).transform((value, ctx) => {
  const parsed = parseEmail(value);
  if (parsed.ok) return parsed.email;
  ctx.issues.push({ code: "custom", message: parsed.message, input: value });
  return z.NEVER;
});

export const personName = z.string().trim().max(100, "At most 100 characters");

export const displayName = z.string().trim().min(1, "Required").max(200, "At most 200 characters");

export const cursor = z
  .string()
  .max(200)
  .refine((c) => decodeCursor(c) !== null, "Invalid cursor")
  .nullish()
  .transform((c) => c ?? null);

export const limit = z.number().int().min(1).max(1000).default(50);

export const page = { cursor, limit };

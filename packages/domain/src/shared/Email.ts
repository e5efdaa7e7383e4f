export const MAX_EMAIL_LENGTH = 254;

/** Emails are compared case-insensitively after trimming: `" Ann@X.io "` and `"ann@x.io"` are one address. */
export const normalizeEmail = (raw: string): string => raw.trim().toLowerCase();

// Deliberately plain: one `@`, a non-empty local part, a dotted domain, no whitespace, quotes,
// angle brackets, commas or control characters (which could smuggle headers or extra recipients).
const EMAIL_SHAPE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what it refuses.
  /^[^\s@"<>(),;:\\[\]\u0000-\u001f\u007f]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/** Returns the normalized address, or a message saying why it is not one. */
export const parseEmail = (raw: string): { ok: true; email: string } | { ok: false; message: string } => {
  const email = normalizeEmail(raw);
  if (email.length === 0) return { ok: false, message: "Email is required" };
  if (email.length > MAX_EMAIL_LENGTH)
    return { ok: false, message: `Email must be at most ${MAX_EMAIL_LENGTH} characters` };
  if (!EMAIL_SHAPE.test(email)) return { ok: false, message: "Invalid email address" };
  return { ok: true, email };
};

export const emailDomain = (email: string): string => email.slice(email.lastIndexOf("@") + 1);

import { MailError, type MailMessage, parseEmail, permanentMailError } from "@admit/domain";
import type { MailFrom } from "../config.ts";

/**
 * The recipient must be one plain address, exactly as stored: the last guard before a transport,
 * so that nothing that reaches one can name a second recipient or carry a display name.
 */
export const checkRecipient = (message: MailMessage): MailError | null => {
  const parsed = parseEmail(message.to);
  return parsed.ok && parsed.email === message.to
    ? null
    : permanentMailError("invalid_recipient: not a plain email address");
};

/** `MAIL_FROM` as one header value; its name was checked at start (no quotes, brackets or controls). */
export const fromHeader = (from: MailFrom): string => (from.name ? `"${from.name}" <${from.address}>` : from.address);

/** A provider's answer, cut to one short line: it is stored on the delivery and shown to callers. */
export const oneLine = (value: unknown, max = 300): string =>
  String(value ?? "")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, max);

export { MailError };

import { type MailError, Mailer, type MailMessage, type MailReceipt } from "@admit/domain";
import { Effect, Layer } from "effect";
import type { MailFrom } from "../config.ts";
import { fromHeader } from "./common.ts";
import { defineTransport, withRecipientCheck } from "./transport.ts";

/**
 * Writes each email to the log instead of sending it, accept link included: for development and
 * demos only, never where the log is less private than the recipient's mailbox.
 */
const logTransportLayer = (from: MailFrom, log: (line: string) => void) =>
  Layer.sync(Mailer, () => {
    const send = (message: MailMessage): Effect.Effect<MailReceipt, MailError> =>
      Effect.sync(() => {
        const body = message.text.replace(/^/gm, "  | ");
        log(
          `[worker] email (log transport) delivery=${message.deliveryId}\n  from: ${fromHeader(from)}\n  to: ${message.to}\n  subject: ${message.subject}\n${body}`,
        );
        return { messageId: null };
      });
    return Mailer.of({ send, sendBatch: (messages) => Effect.forEach(messages, (m) => Effect.result(send(m))) });
  });

export const logTransport = defineTransport({
  id: "log",
  configure: () => ({}),
  layer: (_settings, { from }) => logTransportLayer(from, console.log),
});

export const MailerLog = (from: MailFrom, log: (line: string) => void = console.log) =>
  withRecipientCheck(logTransportLayer(from, log));

import type { WorkerConfig } from "../config.ts";
import { MailerLog } from "./MailerLog.ts";
import { MailerPostmark } from "./MailerPostmark.ts";
import { MailerSmtp } from "./MailerSmtp.ts";
import { TRANSPORTS } from "./registry.ts";
import { type MailTransport, withRecipientCheck } from "./transport.ts";

export { MailerLog, MailerPostmark, MailerSmtp };

// The settings were read by this very transport's `configure`, so they are its own.
type AnyTransport = MailTransport<string, any>;

/** The transport `MAIL_TRANSPORT` chose, behind the recipient check. */
export const mailerLayer = (config: Pick<WorkerConfig, "mail" | "from" | "concurrency">) => {
  const { transport: id, ...settings } = config.mail;
  const transport: AnyTransport | undefined = TRANSPORTS.find((t) => t.id === id);
  if (transport === undefined) throw new Error(`Unknown mail transport ${id}`);
  return withRecipientCheck(transport.layer(settings, { from: config.from, concurrency: config.concurrency }));
};

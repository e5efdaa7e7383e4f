import type { WorkerConfig } from "../config.ts";
import { MailerLog } from "./MailerLog.ts";
import { MailerPostmark } from "./MailerPostmark.ts";
import { MailerSmtp } from "./MailerSmtp.ts";

export { MailerLog, MailerPostmark, MailerSmtp };

/** The transport `MAIL_TRANSPORT` chose. */
export const mailerLayer = (config: Pick<WorkerConfig, "mail" | "from" | "concurrency">) => {
  switch (config.mail.transport) {
    case "postmark":
      return MailerPostmark(config.mail, config.from);
    case "smtp":
      return MailerSmtp({ url: config.mail.url, maxConnections: config.concurrency }, config.from);
    case "log":
      return MailerLog(config.from);
  }
};

export { ConfigError, loadWorkerConfig, type MailFrom, parseMailFrom, type WorkerConfig } from "./config.ts";
export { acceptLink, renderInvitation } from "./email/invitation.ts";
export { MailerLog, MailerPostmark, MailerSmtp, mailerLayer } from "./mailers/index.ts";
export { classifyPostmarkError } from "./mailers/MailerPostmark.ts";
export { classifySmtpError } from "./mailers/MailerSmtp.ts";
export { type RunningWorker, startWorker, type WorkerOptions } from "./worker.ts";

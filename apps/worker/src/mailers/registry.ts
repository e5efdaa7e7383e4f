import { logTransport } from "./MailerLog.ts";
import { postmarkTransport } from "./MailerPostmark.ts";
import { smtpTransport } from "./MailerSmtp.ts";

/** Every mail transport. Adding one: a file that calls `defineTransport`, and a line here. */
export const TRANSPORTS = [postmarkTransport, smtpTransport, logTransport] as const;

type Transport = (typeof TRANSPORTS)[number];

/** The chosen transport and its settings, as `loadWorkerConfig` reads them. */
export type MailTransportConfig = {
  [K in Transport as K["id"]]: { readonly transport: K["id"] } & ReturnType<K["configure"]>;
}[Transport["id"]];

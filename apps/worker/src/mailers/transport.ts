import { type BatchResult, Mailer, temporaryMailError } from "@admit/domain";
import { Effect, Layer, Result } from "effect";
import type { MailFrom } from "../config.ts";
import { checkRecipient } from "./common.ts";

/** What every transport is given besides its own settings. */
export interface TransportContext {
  readonly from: MailFrom;
  /** Deliveries sent at once: a transport may keep that many connections. */
  readonly concurrency: number;
}

/**
 * A way of sending email. Each transport lives in its own file and is listed once in
 * `registry.ts`; configuration, `MAIL_TRANSPORT`'s accepted values and the worker's layer all come
 * from that list.
 */
export interface MailTransport<Id extends string, Settings> {
  /** The value of `MAIL_TRANSPORT` that selects it. */
  readonly id: Id;
  /** Reads and checks its settings from the environment; throws `ConfigError` naming the variable. */
  readonly configure: (env: NodeJS.ProcessEnv) => Settings;
  /** When set, `MAIL_FROM` is required with this transport, for this reason. */
  readonly requiresFrom?: string;
  /** The transport itself. It never sees an invalid recipient: `mailerFor` checks them first. */
  readonly layer: (settings: Settings, context: TransportContext) => Layer.Layer<Mailer>;
}

export const defineTransport = <const Id extends string, Settings>(transport: MailTransport<Id, Settings>) => transport;

/**
 * Wraps a transport with the recipient check, the last guard before any transport: one plain
 * address, exactly as stored, so nothing can name a second recipient or carry a display name.
 */
export const withRecipientCheck = (transport: Layer.Layer<Mailer>): Layer.Layer<Mailer> =>
  Layer.effect(
    Mailer,
    Effect.map(Effect.service(Mailer), (inner) =>
      Mailer.of({
        send: (message) => {
          const invalid = checkRecipient(message);
          return invalid ? Effect.fail(invalid) : inner.send(message);
        },
        // The invalid recipients get their own failure; the others go to the transport as one batch.
        sendBatch: (messages) => {
          const checked = messages.map(checkRecipient);
          const valid = messages.filter((_, i) => checked[i] === null);
          return (valid.length === 0 ? Effect.succeed([]) : inner.sendBatch(valid)).pipe(
            Effect.map((answers) => {
              let next = 0;
              return checked.map((invalid): BatchResult => {
                if (invalid !== null) return Result.fail(invalid);
                return (
                  answers[next++] ?? Result.fail(temporaryMailError("the transport gave no answer for this message"))
                );
              });
            }),
          );
        },
      }),
    ),
  ).pipe(Layer.provide(transport));

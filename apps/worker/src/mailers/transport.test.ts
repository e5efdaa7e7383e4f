import { Mailer } from "@admit/domain";
import { Effect, Layer, Result } from "effect";
import { describe, expect, it } from "vitest";
import { mailerLayer } from "./index.ts";
import { TRANSPORTS } from "./registry.ts";
import { withRecipientCheck } from "./transport.ts";

const message = (to: string) => ({
  deliveryId: "d1",
  to,
  subject: "s",
  text: "t",
  html: "<p>t</p>",
  tag: "invite",
});

describe("mail transports", () => {
  it("are registered under distinct MAIL_TRANSPORT values", () => {
    const ids = TRANSPORTS.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("never see a recipient that is not one plain address: the check runs before any transport", async () => {
    const seen: string[] = [];
    const recording = Layer.succeed(
      Mailer,
      Mailer.of({
        send: (m) =>
          Effect.sync(() => {
            seen.push(m.to);
            return { messageId: null };
          }),
        sendBatch: (ms) =>
          Effect.sync(() =>
            ms.map((m) => {
              seen.push(m.to);
              return Result.succeed({ messageId: `m-${m.to}` });
            }),
          ),
      }),
    );
    const send = (to: string) =>
      Effect.runPromise(
        Effect.flip(Effect.flatMap(Effect.service(Mailer), (mailer) => mailer.send(message(to)))).pipe(
          Effect.provide(withRecipientCheck(recording)),
        ),
      );
    const refused = await send("a@example.com, b@example.com");
    expect(refused).toMatchObject({ permanent: true, reason: "invalid_recipient: not a plain email address" });
    expect(await send('"Eve" <eve@example.com>')).toMatchObject({ permanent: true });
    expect(seen).toEqual([]);
    // In a batch, the refused recipients get their own failure and the others are sent, in order.
    const results = await Effect.runPromise(
      Effect.flatMap(Effect.service(Mailer), (mailer) =>
        mailer.sendBatch([message("a@example.com"), message("a@example.com, b@example.com"), message("c@example.com")]),
      ).pipe(Effect.provide(withRecipientCheck(recording))),
    );
    expect(results.map((r) => (Result.isSuccess(r) ? r.success.messageId : r.failure.reason))).toEqual([
      "m-a@example.com",
      "invalid_recipient: not a plain email address",
      "m-c@example.com",
    ]);
    expect(seen).toEqual(["a@example.com", "c@example.com"]);
  });

  it("chosen by configuration come behind the same check", async () => {
    const layer = mailerLayer({
      mail: { transport: "log" },
      from: { name: null, address: "invites@example.com" },
      concurrency: 1,
    });
    const error = await Effect.runPromise(
      Effect.flip(
        Effect.flatMap(Effect.service(Mailer), (mailer) => mailer.send(message("x@example.com\nBcc: y@example.com"))),
      ).pipe(Effect.provide(layer)),
    );
    expect(error).toMatchObject({ permanent: true });
  });
});

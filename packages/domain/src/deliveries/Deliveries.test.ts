import { describe, expect, it } from "@effect/vitest";
import { Effect, Layer, Result } from "effect";
import { transactionsRecordedIn } from "../testing/support.ts";
import { abandonDelivery, deliverInvitation, deliverInvitations } from "./Deliveries.ts";
import { type ClaimedDelivery, DeliveryOutbox, type OutgoingDelivery } from "./DeliveryOutbox.ts";
import { type MailError, Mailer, type MailMessage, permanentMailError, temporaryMailError } from "./Mailer.ts";

const queued = (over: Partial<OutgoingDelivery> = {}): ClaimedDelivery => ({
  _tag: "Queued",
  delivery: {
    id: "d1",
    email: "ann@example.com",
    token: "inv_token",
    inviterName: "Mo",
    kind: "invite",
    attempts: 0,
    referenced: true,
    firstName: null,
    locale: null,
    brand: null,
    organizationIds: ["o1"],
    targets: [
      { type: "organization", id: "o1", name: "Acme", organizationName: "Acme", role: "read", expiresAt: new Date(0) },
    ],
    ...over,
  },
});

/** An outbox holding one claim, a mailer answering `answer`, and a log of what each one was asked. */
const world = (
  claim: ClaimedDelivery | ((id: string) => ClaimedDelivery),
  answer: MailError | null | ((m: MailMessage) => MailError | null) = null,
) => {
  const answerFor = (m: MailMessage) => (typeof answer === "function" ? answer(m) : answer);
  const calls: string[] = [];
  const sent: MailMessage[] = [];
  const layer = Layer.mergeAll(
    Layer.succeed(
      DeliveryOutbox,
      DeliveryOutbox.of({
        claim: (ids) =>
          Effect.sync(() => {
            calls.push("claim");
            return new Map(ids.map((id) => [id, typeof claim === "function" ? claim(id) : claim]));
          }),
        record: (records) =>
          Effect.sync(() => {
            for (const r of records) {
              calls.push(
                r._tag === "Sent"
                  ? `sent ${r.id}`
                  : r._tag === "Failed"
                    ? `failed ${r.id} ${r.reason}`
                    : `attempt ${r.id} ${r.reason}`,
              );
            }
          }),
        giveUp: (id) =>
          Effect.sync(() => {
            calls.push(`give up ${id}`);
            return true;
          }),
      }),
    ),
    Layer.succeed(
      Mailer,
      Mailer.of({
        send: (m) => {
          const error = answerFor(m);
          return error
            ? Effect.fail(error)
            : Effect.sync(() => {
                sent.push(m);
                return { messageId: "m1" };
              });
        },
        sendBatch: (ms) =>
          Effect.sync(() =>
            ms.map((m) => {
              const error = answerFor(m);
              if (error) return Result.fail(error);
              sent.push(m);
              return Result.succeed({ messageId: `m-${m.deliveryId}` });
            }),
          ),
      }),
    ),
    transactionsRecordedIn(calls),
  );
  return { calls, sent, layer };
};

const render = (d: OutgoingDelivery): MailMessage => ({
  to: d.email,
  subject: `${d.inviterName} invited you`,
  text: d.targets.map((t) => t.name).join(","),
  html: "",
  deliveryId: d.id,
  tag: "invitation",
});

describe("deliverInvitation", () => {
  it.effect("sends a queued delivery once and records it in the same transaction", () =>
    Effect.gen(function* () {
      const w = world(queued());
      const outcome = yield* deliverInvitation("d1", render).pipe(Effect.provide(w.layer));
      expect(outcome).toEqual({ _tag: "Sent", messageId: "m-d1" });
      expect(w.sent.map((m) => m.to)).toEqual(["ann@example.com"]);
      expect(w.calls).toEqual(["begin", "claim", "sent d1", "event delivery.sent o1", "commit"]);
    }),
  );

  it.effect("skips a delivery already sent or failed, and a missing one, without mailing", () =>
    Effect.gen(function* () {
      for (const [claim, reason] of [
        [{ _tag: "Settled", status: "sent" }, "already_sent"],
        [{ _tag: "Settled", status: "failed" }, "already_failed"],
        [{ _tag: "Missing" }, "missing"],
      ] as const) {
        const w = world(claim);
        expect(yield* deliverInvitation("d1", render).pipe(Effect.provide(w.layer))).toEqual({
          _tag: "Skipped",
          reason,
        });
        expect(w.sent).toEqual([]);
      }
    }),
  );

  it.effect("closes a delivery with nothing left to send: superseded, or no pending invites", () =>
    Effect.gen(function* () {
      const superseded = world(queued({ targets: [], referenced: false }));
      expect(yield* deliverInvitation("d1", render).pipe(Effect.provide(superseded.layer))).toEqual({
        _tag: "Failed",
        reason: "superseded",
      });
      expect(superseded.calls).toContain("failed d1 superseded");
      expect(superseded.calls).toContain("event delivery.failed o1");
      const closed = world(queued({ targets: [], referenced: true }));
      yield* deliverInvitation("d1", render).pipe(Effect.provide(closed.layer));
      expect(closed.calls).toContain("failed d1 no_pending_invites");
      const noToken = world(queued({ token: null }));
      yield* deliverInvitation("d1", render).pipe(Effect.provide(noToken.layer));
      expect(noToken.calls).toContain("failed d1 token_missing");
      expect([...superseded.sent, ...closed.sent, ...noToken.sent]).toEqual([]);
    }),
  );

  it.effect("a permanent failure fails the delivery; a temporary one records the attempt for a retry", () =>
    Effect.gen(function* () {
      const rejected = world(queued(), permanentMailError("smtp 550: no such user"));
      expect(yield* deliverInvitation("d1", render).pipe(Effect.provide(rejected.layer))).toEqual({
        _tag: "Failed",
        reason: "smtp 550: no such user",
      });
      expect(rejected.calls).toEqual([
        "begin",
        "claim",
        "failed d1 smtp 550: no such user",
        "event delivery.failed o1",
        "commit",
      ]);
      const deferred = world(queued(), temporaryMailError("postmark http 503: down"));
      expect(yield* deliverInvitation("d1", render).pipe(Effect.provide(deferred.layer))).toEqual({
        _tag: "Retry",
        reason: "postmark http 503: down",
      });
      expect(deferred.calls).toEqual(["begin", "claim", "attempt d1 postmark http 503: down", "commit"]);
    }),
  );

  it.effect(
    "a batch settles each delivery on its own: one refused recipient fails neither the sent nor the retried",
    () =>
      Effect.gen(function* () {
        const w = world(
          (id) => (id === "gone" ? { _tag: "Missing" } : queued({ id, email: `${id}@example.com` })),
          (m) =>
            m.to === "bad@example.com"
              ? permanentMailError("postmark error 406: inactive recipient")
              : m.to === "busy@example.com"
                ? temporaryMailError("postmark http 429: too many requests")
                : null,
        );
        const outcomes = yield* deliverInvitations(["ok", "bad", "busy", "gone", "ok"], render).pipe(
          Effect.provide(w.layer),
        );
        expect(Object.fromEntries(outcomes)).toEqual({
          ok: { _tag: "Sent", messageId: "m-ok" },
          bad: { _tag: "Failed", reason: "postmark error 406: inactive recipient" },
          busy: { _tag: "Retry", reason: "postmark http 429: too many requests" },
          gone: { _tag: "Skipped", reason: "missing" },
        });
        expect(w.sent.map((m) => m.to)).toEqual(["ok@example.com"]);
        expect(w.calls).toEqual([
          "begin",
          "claim",
          "sent ok",
          "failed bad postmark error 406: inactive recipient",
          "attempt busy postmark http 429: too many requests",
          // One event per delivery that changed state, in the same transaction; none for the retry.
          "event delivery.sent o1",
          "event delivery.failed o1",
          "commit",
        ]);
      }),
  );

  it.effect("abandonDelivery gives the delivery up, with one event per organization of its invites", () =>
    Effect.gen(function* () {
      const w = world(queued({ organizationIds: ["o1", "o2", "o1"] }));
      expect(yield* abandonDelivery("d1").pipe(Effect.provide(w.layer))).toBe(true);
      expect(w.calls).toEqual([
        "begin",
        "claim",
        "give up d1",
        "event delivery.failed o1",
        "event delivery.failed o2",
        "commit",
      ]);
      const settled = world({ _tag: "Settled", status: "sent" });
      expect(yield* abandonDelivery("d1").pipe(Effect.provide(settled.layer))).toBe(false);
      expect(settled.calls).toEqual(["begin", "claim", "commit"]);
    }),
  );

  it.effect("a temporary failure records no event: the delivery has not changed state", () =>
    Effect.gen(function* () {
      const deferred = world(queued(), temporaryMailError("down"));
      yield* deliverInvitation("d1", render).pipe(Effect.provide(deferred.layer));
      expect(deferred.calls.filter((c) => c.startsWith("event"))).toEqual([]);
    }),
  );
});

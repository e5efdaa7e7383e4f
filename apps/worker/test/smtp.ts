import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface CapturedMail {
  readonly from: string;
  readonly recipients: ReadonlyArray<string>;
  readonly raw: string;
  readonly parsed: ParsedMail;
  readonly receivedAt: number;
}

export type Rejection = { readonly code: number; readonly message: string };

/**
 * A real SMTP server in the test process. It accepts every message unless `reject` answers a
 * rejection for a recipient (called with how many times that recipient was tried), and can hold
 * messages before accepting them (`delayMs`, or `hold` until `release`). A message
 * whose client goes away before the answer is not accepted.
 */
export const startSmtpCapture = async (options: { port?: number } = {}) => {
  const messages: CapturedMail[] = [];
  const tries = new Map<string, number>();
  const closed = new Set<string>();
  const held = new Map<string, () => void>();
  const state = {
    reject: (_recipient: string, _try: number): Rejection | null => null,
    delayMs: 0,
    hold: false,
    /** Messages received in full and not yet accepted. */
    inFlight: 0,
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    size: 1024 * 1024,
    closeTimeout: 1_000,
    disableReverseLookup: true,
    onRcptTo(address, _session, callback) {
      const recipient = address.address.toLowerCase();
      const n = (tries.get(recipient) ?? 0) + 1;
      tries.set(recipient, n);
      const rejection = state.reject(recipient, n);
      if (rejection) {
        return callback(Object.assign(new Error(rejection.message), { responseCode: rejection.code }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", async () => {
        state.inFlight++;
        try {
          if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
          if (state.hold && !closed.has(session.id)) await new Promise<void>((r) => held.set(session.id, r));
        } finally {
          state.inFlight--;
        }
        // The client went away before the answer: the message was never accepted.
        if (closed.has(session.id)) return;
        const raw = Buffer.concat(chunks).toString("utf8");
        const parsed = await simpleParser(raw);
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          recipients: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          raw,
          parsed,
          receivedAt: Date.now(),
        });
        callback();
      });
    },
    onClose(session) {
      closed.add(session.id);
      held.get(session.id)?.();
      held.delete(session.id);
    },
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    state,
    /** How many times the server was asked to take mail for this recipient. */
    tries: (recipient: string) => tries.get(recipient.toLowerCase()) ?? 0,
    to: (recipient: string) => messages.filter((m) => m.recipients.includes(recipient.toLowerCase())),
    release: () => {
      state.hold = false;
      for (const r of held.values()) r();
      held.clear();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

export type SmtpCapture = Awaited<ReturnType<typeof startSmtpCapture>>;

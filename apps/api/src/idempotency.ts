import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  committed as afterCommitted,
  claimIdempotencyKey,
  commitIdempotentAnswer,
  type IdempotencyClaim,
  notClaimed,
  type Orm,
  rolledBack,
  type StoredAnswer,
  type TokenSealer,
  type TransactionManager,
} from "@admit/db";
import { TRPCError } from "@trpc/server";
import { ErrorDetails } from "./errors.ts";

/**
 * `Idempotency-Key` on mutations. A keyed request runs in one database transaction that the use
 * case joins: the key is claimed in the round trip that begins it (with the use case's first
 * statement), the answer is stored in the one that commits it, so the change and its stored answer commit (or vanish) together. A retry with the same key, principal and request
 * gets the stored answer again (`Idempotent-Replayed: true`); with another request,
 * `idempotency_key_reused`; while the first still runs, it waits up to `WAIT_MS`, then
 * `idempotency_request_in_progress`. Answers of 400 and above are not stored: the transaction rolls
 * back and a corrected retry goes through.
 */
export const IDEMPOTENCY_HEADER = "idempotency-key";
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const MAX_KEY_LENGTH = 255;
/** How long a retry waits for the first request with its key to finish. */
export const WAIT_MS = 10_000;

/** Carried into the tRPC context so that the procedure refuses with the protocol's own error shape. */
type RefusalReason = "invalid_idempotency_key" | "idempotency_key_reused" | "idempotency_request_in_progress";

export class IdempotencyRefusal {
  readonly code: "BAD_REQUEST" | "CONFLICT";
  readonly reason: RefusalReason;
  readonly message: string;
  constructor(code: "BAD_REQUEST" | "CONFLICT", reason: RefusalReason, message: string) {
    this.code = code;
    this.reason = reason;
    this.message = message;
  }
  toTRPCError(): TRPCError {
    const details =
      this.code === "BAD_REQUEST"
        ? new ErrorDetails(this.reason, { "Idempotency-Key": [this.message] })
        : new ErrorDetails(this.reason);
    return new TRPCError({ code: this.code, message: this.message, cause: details });
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface KeyedRequest {
  readonly scope: string;
  readonly key: string;
  readonly requestHash: Buffer;
}

/**
 * Marks a sealed stored body; a stored answer in clear is JSON and never starts with it. Every
 * stored answer is sealed with `TOKEN_ENCRYPTION_KEY`: answers show secrets once (API keys, user
 * tokens, webhook signing secrets, join links), and sealing all of them leaves no path spelling
 * or procedure to forget. Answers stored in clear by earlier versions still replay.
 */
const SEALED_PREFIX = "sealed:v1:";

const PRINTABLE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

const sha256 = (...parts: ReadonlyArray<string | Buffer>) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest();
};

/** JSON with its object keys sorted, so that a retry serializing the same input differently still matches. */
const canonical = (body: Buffer): string | Buffer => {
  if (body.length === 0) return body;
  try {
    return JSON.stringify(JSON.parse(body.toString("utf8")), (_key, value: unknown) =>
      value !== null && typeof value === "object" && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : value,
    );
  } catch {
    return body;
  }
};

/**
 * Reads the key of a mutation. The scope is the credential (one secret is one principal), hashed
 * so the table never holds a secret; an unauthenticated mutation (accepting or declining with an
 * invite token) is scoped to its own request, so two callers can never collide on a key.
 */
export const keyedRequest = (input: {
  readonly header: string | ReadonlyArray<string> | undefined;
  readonly secret: string | null;
  readonly method: string;
  readonly url: URL;
  readonly body: Buffer | undefined;
  /** Calls in one tRPC request (a batch may carry several). */
  readonly calls: number;
}): KeyedRequest | IdempotencyRefusal | null => {
  if (input.header === undefined) return null;
  const key = Array.isArray(input.header) ? null : (input.header as string);
  const refuse = (message: string) => new IdempotencyRefusal("BAD_REQUEST", "invalid_idempotency_key", message);
  if (key === null) return refuse("Send one Idempotency-Key header");
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !PRINTABLE.test(key)) {
    return refuse(`Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters`);
  }
  if (input.calls > 1) return refuse("Idempotency-Key covers one call: send keyed calls unbatched");
  const body = canonical(input.body ?? Buffer.alloc(0));
  const requestHash = sha256(input.method, input.url.pathname, input.url.search, body);
  const scope =
    input.secret === null
      ? `public:${requestHash.toString("hex")}`
      : `secret:${sha256("idempotency", input.secret).toString("hex")}`;
  return { scope, key, requestHash };
};

/** The stored answer again, or null when its seal no longer opens (`TOKEN_ENCRYPTION_KEY` changed). */
const replayed = (answer: StoredAnswer, sealer: Pick<TokenSealer, "open">): HttpAnswer | null => {
  let body = answer.body;
  if (body.startsWith(SEALED_PREFIX)) {
    try {
      body = sealer.open(body.slice(SEALED_PREFIX.length));
    } catch {
      return null;
    }
  }
  return { status: answer.status, headers: { ...answer.headers, "idempotent-replayed": "true" }, body };
};

/** Only what describes the body is stored and replayed. */
const storedHeaders = (headers: Readonly<Record<string, string>>): Record<string, string> => {
  const kept: Record<string, string> = {};
  for (const name of ["content-type", "location"]) {
    const value = headers[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
};

/**
 * Runs a keyed request. `produce` gets the transaction to run in (or a refusal to answer with) and
 * answers the HTTP response; it is called at most once per claim, and its effects are kept only if
 * the answer is stored and committed.
 */
export const runIdempotent = async (
  orm: Orm,
  sealer: TokenSealer,
  request: KeyedRequest,
  produce: (scope: { transaction?: TransactionManager; refusal?: IdempotencyRefusal }) => Promise<HttpAnswer>,
): Promise<HttpAnswer> => {
  const deadline = Date.now() + WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    // The claim travels with the request's first statement: the request runs at once, and stops
    // at that statement when the key is not claimed (its answer is then dropped).
    const { transaction, claim: claimed } = await claimIdempotencyKey(
      orm,
      request.scope,
      request.key,
      request.requestHash,
      IDEMPOTENCY_TTL_MS,
    );
    let claim: IdempotencyClaim;
    let committed = false;
    try {
      const answer = await produce({ transaction: transaction.em });
      // A request that ran no statement has not sent its claim yet.
      await transaction.flush().catch(() => {});
      claim = await claimed.catch((error: unknown): IdempotencyClaim => {
        // A lock the key's holder has: that request is still running.
        if (notClaimed(error)) return { _tag: "InProgress" };
        throw error;
      });
      if (claim._tag === "Claimed") {
        if (answer.status >= 400) return answer;
        await commitIdempotentAnswer(transaction, request.scope, request.key, {
          status: answer.status,
          headers: storedHeaders(answer.headers),
          body: `${SEALED_PREFIX}${sealer.seal(answer.body)}`,
        });
        committed = true;
        // What the use cases left to do after their commit (such as waiting until a revoked
        // credential is dropped by every process) is done before the answer goes out.
        await afterCommitted(transaction.em);
        return answer;
      }
    } finally {
      if (!committed) {
        rolledBack(transaction.em);
        await transaction.rollback().catch(() => {});
      }
    }
    if (claim._tag === "Replay") {
      const answer = replayed(claim.answer, sealer);
      if (answer !== null) return answer;
      // The request did run; running it again could do it twice. The caller checks the state and
      // retries with a new key, as after a reused key.
      return produce({
        refusal: new IdempotencyRefusal(
          "CONFLICT",
          "idempotency_key_reused",
          "The answer stored for this Idempotency-Key can no longer be read; check the outcome and use a new key",
        ),
      });
    }
    if (claim._tag === "Reused") {
      return produce({
        refusal: new IdempotencyRefusal(
          "CONFLICT",
          "idempotency_key_reused",
          "This Idempotency-Key was used with another request",
        ),
      });
    }
    if (Date.now() >= deadline) {
      return produce({
        refusal: new IdempotencyRefusal(
          "CONFLICT",
          "idempotency_request_in_progress",
          "A request with this Idempotency-Key is still running; retry later",
        ),
      });
    }
    // Backs off from 20 ms to 250 ms, with jitter so that waiting retries do not poll in step.
    await sleep(Math.min(250, 20 * 1.5 ** attempt) * (0.5 + Math.random()));
  }
};

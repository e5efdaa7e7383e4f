import { Schema } from "effect";
import { sql } from "kysely";
import { begin, type HeldTransaction, literal } from "./heldTransaction.ts";
import { kyselyOf } from "./kysely.ts";
import type { Orm } from "./orm.ts";

/** A stored first answer: what the retry gets again. */
export interface StoredAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type IdempotencyClaim =
  /** The key is held by the transaction: run the request in it, then `commitIdempotentAnswer`. */
  | { readonly _tag: "Claimed" }
  /** The key was used before with the same request: answer this again. */
  | { readonly _tag: "Replay"; readonly answer: StoredAnswer }
  /** The key was used before with another request. */
  | { readonly _tag: "Reused" }
  /** Another transaction holds the key right now. */
  | { readonly _tag: "InProgress" };

/**
 * The failure of the statement a claim travelled with when the key was not claimed: the request
 * stops there, and its transaction is rolled back (see `claimIdempotencyKey`).
 */
export class IdempotencyKeyNotClaimed extends Error {
  constructor() {
    super("the idempotency key is not held by this transaction");
    this.name = "IdempotencyKeyNotClaimed";
  }
}

/**
 * Whether a keyed request stopped because its key was not claimed: the statement its claim
 * travelled with failed (`IdempotencyKeyNotClaimed`), or a lock it waited for did (only an
 * unclaimed request has a lock timeout).
 */
export const notClaimed = (error: unknown): boolean =>
  error instanceof IdempotencyKeyNotClaimed ||
  (typeof error === "object" && error !== null && (error as { code?: unknown }).code === LOCK_NOT_AVAILABLE);

/** PostgreSQL's SQLSTATE for a lock wait that timed out. */
const LOCK_NOT_AVAILABLE = "55P03";

/** A committed answer as the claim's second statement reads it (decoded, not cast). */
const StoredRow = Schema.Struct({
  request_hash: Schema.Uint8Array,
  status_code: Schema.Number,
  response_headers: Schema.Unknown,
  response_body: Schema.String,
});
const Headers = Schema.Record(Schema.String, Schema.String);

/**
 * Claims `(scope, key)` for a new transaction, without ever waiting on another one, in the round
 * trip of the transaction's first statement (BEGIN, the claim, then whatever the request runs
 * first): answers the transaction at once, and the claim's outcome once that round trip is done
 * (`transaction.flush()` sends it alone when the request ran no statement).
 *
 * The claim is a row inserted only if this transaction gets the key's advisory lock at once
 * (`pg_try_advisory_xact_lock`), so a second request never waits for the key; the row conflicts
 * with a committed answer (an expired one is taken over). The row becomes visible only when the
 * transaction commits, together with the change and its answer; a rollback or a crash removes
 * both. A second statement in the same round trip (a statement of its own, so with a fresh
 * snapshot) reads a committed answer, to tell it from a request still running when nothing was
 * inserted. When nothing was claimed, the statement the claim travelled with fails with
 * `IdempotencyKeyNotClaimed` (its own work, done in the same string, is rolled back unseen), and
 * the caller rolls back; a lock it would wait for (one the key's holder has) fails it at once,
 * and the claim then fails with that error (see `notClaimed`): the request is still running.
 */
export const claimIdempotencyKey = async (
  orm: Orm,
  scope: string,
  key: string,
  requestHash: Buffer,
  ttlMs: number,
): Promise<{ readonly transaction: HeldTransaction; readonly claim: Promise<IdempotencyClaim> }> => {
  const [s, k, hash] = [literal(scope), literal(key), literal(requestHash.toString("hex"))];
  const transaction = await begin(orm);
  const rows = transaction.defer(
    [
      `insert into idempotency_keys as k (scope, key, request_hash, status_code, response_body, expires_at)
       select ${s}, ${k}, decode(${hash}, 'hex'), 0, '', now() + ${literal(`${ttlMs} milliseconds`)}::interval
       where pg_try_advisory_xact_lock(hashtextextended('idempotency:' || ${s} || ':' || ${k}, 0))
       on conflict (scope, key) do update set
         request_hash = excluded.request_hash, status_code = 0, response_headers = '{}', response_body = '',
         created_at = now(), expires_at = excluded.expires_at
         where k.expires_at <= now()
       returning 1 as claimed`,
      `select request_hash, status_code, response_headers, response_body from idempotency_keys
       where scope = ${s} and key = ${k} and expires_at > now() and status_code > 0`,
      // Unclaimed, the request must not wait on a lock of the one that holds the key (the
      // recipient's, an invite's row): a wait fails at once, and the request stops there.
      `select set_config('lock_timeout', '1ms', true) where not exists (
         select 1 from idempotency_keys where scope = ${s} and key = ${k} and status_code = 0)`,
    ],
    (rows) => ((rows[0]?.length ?? 0) > 0 ? undefined : new IdempotencyKeyNotClaimed()),
  );
  const claim = rows.then((rows): IdempotencyClaim => {
    if ((rows[0]?.length ?? 0) > 0) return { _tag: "Claimed" };
    const found = rows[1]?.[0];
    if (found === undefined) return { _tag: "InProgress" };
    const row = Schema.decodeUnknownSync(StoredRow)(found);
    if (!Buffer.from(row.request_hash).equals(requestHash)) return { _tag: "Reused" };
    const headers = typeof row.response_headers === "string" ? JSON.parse(row.response_headers) : row.response_headers;
    return {
      _tag: "Replay",
      answer: {
        status: row.status_code,
        headers: Schema.decodeUnknownSync(Headers)(headers ?? {}),
        body: row.response_body,
      },
    };
  });
  claim.catch(() => {});
  return { transaction, claim };
};

/** Records the answer of a claimed key and commits, in one round trip: the change and its answer commit together. */
export const commitIdempotentAnswer = async (
  transaction: HeldTransaction,
  scope: string,
  key: string,
  answer: StoredAnswer,
): Promise<void> => {
  await transaction.commit(
    `update idempotency_keys set status_code = ${literal(answer.status)},
       response_headers = ${literal(JSON.stringify(answer.headers))}::jsonb, response_body = ${literal(answer.body)}
     where scope = ${literal(scope)} and key = ${literal(key)} and status_code = 0`,
  );
};

/** Deletes expired keys in batches; answers how many. Run by the scheduled cleanup job. */
export const deleteExpiredIdempotencyKeys = async (orm: Orm, batchSize = 5_000): Promise<number> => {
  let total = 0;
  for (;;) {
    const deleted = await kyselyOf(orm.em.fork())
      .deleteFrom("idempotency_keys")
      .where(sql<string>`ctid`, "in", (eb) =>
        eb
          .selectFrom("idempotency_keys")
          .select(sql<string>`ctid`.as("ctid"))
          .where("expires_at", "<=", sql<Date>`now()`)
          .limit(batchSize),
      )
      .executeTakeFirst();
    const n = Number(deleted.numDeletedRows);
    total += n;
    if (n < batchSize) return total;
  }
};

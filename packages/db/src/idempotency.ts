import type { EntityManager } from "@mikro-orm/postgresql";
import type { Orm } from "./orm.ts";

/** A stored first answer: what the retry gets again. */
export interface StoredAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type IdempotencyClaim =
  /** This transaction holds the key: run the request, then `storeIdempotentAnswer` before commit. */
  | { readonly _tag: "Claimed" }
  /** The key was used before with the same request: answer this again. */
  | { readonly _tag: "Replay"; readonly answer: StoredAnswer }
  /** The key was used before with another request. */
  | { readonly _tag: "Reused" }
  /** Another transaction holds the key right now. */
  | { readonly _tag: "InProgress" };

/**
 * Claims `(scope, key)` for the transaction of `em`, without ever waiting on another one.
 *
 * The claim is a row inserted only if this transaction gets the key's advisory lock at once
 * (`pg_try_advisory_xact_lock`), so a second request never blocks inside PostgreSQL holding a
 * connection; the row conflicts with a committed answer (an expired one is taken over). The row
 * becomes visible only when the transaction commits, together with the change and its answer;
 * a rollback or a crash removes both. When nothing was inserted, a second statement (with a fresh
 * snapshot) tells a committed answer from a request still running.
 */
export const claimIdempotencyKey = async (
  em: EntityManager,
  scope: string,
  key: string,
  requestHash: Buffer,
  ttlMs: number,
): Promise<IdempotencyClaim> => {
  const claimed = await em.execute<Array<{ claimed: number }>>(
    `insert into idempotency_keys as k (scope, key, request_hash, status_code, response_body, expires_at)
     select ?, ?, decode(?, 'hex'), 0, '', now() + ?::interval
     where pg_try_advisory_xact_lock(hashtextextended('idempotency:' || ? || ':' || ?, 0))
     on conflict (scope, key) do update set
       request_hash = excluded.request_hash, status_code = 0, response_headers = '{}', response_body = '',
       created_at = now(), expires_at = excluded.expires_at
       where k.expires_at <= now()
     returning 1 as claimed`,
    [scope, key, requestHash.toString("hex"), `${ttlMs} milliseconds`, scope, key],
  );
  if (claimed.length > 0) return { _tag: "Claimed" };
  const [row] = await em.execute<
    Array<{ request_hash: Buffer; status_code: number; response_headers: unknown; response_body: string }>
  >(
    `select request_hash, status_code, response_headers, response_body from idempotency_keys
     where scope = ? and key = ? and expires_at > now() and status_code > 0`,
    [scope, key],
  );
  if (row === undefined) return { _tag: "InProgress" };
  if (!Buffer.from(row.request_hash).equals(requestHash)) return { _tag: "Reused" };
  const headers = typeof row.response_headers === "string" ? JSON.parse(row.response_headers) : row.response_headers;
  return {
    _tag: "Replay",
    answer: {
      status: Number(row.status_code),
      headers: (headers ?? {}) as Record<string, string>,
      body: row.response_body,
    },
  };
};

/** Records the answer of a claimed key, in the same transaction as the change it answers. */
export const storeIdempotentAnswer = async (
  em: EntityManager,
  scope: string,
  key: string,
  answer: StoredAnswer,
): Promise<void> => {
  await em.execute(
    "update idempotency_keys set status_code = ?, response_headers = ?::jsonb, response_body = ? where scope = ? and key = ?",
    [answer.status, JSON.stringify(answer.headers), answer.body, scope, key],
  );
};

/** Deletes expired keys in batches; answers how many. Run by the scheduled cleanup job. */
export const deleteExpiredIdempotencyKeys = async (orm: Orm, batchSize = 5_000): Promise<number> => {
  let total = 0;
  for (;;) {
    const deleted = await orm.em.fork().execute<Array<{ n: number }>>(
      `with gone as (
         delete from idempotency_keys where ctid in (
           select ctid from idempotency_keys where expires_at <= now() limit ?
         ) returning 1
       ) select count(*)::int as n from gone`,
      [batchSize],
    );
    const n = Number(deleted[0]?.n ?? 0);
    total += n;
    if (n < batchSize) return total;
  }
};

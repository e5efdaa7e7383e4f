import type { EntityManager } from "@mikro-orm/postgresql";
import { sql } from "kysely";
import { kyselyOf } from "./kysely.ts";
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
  const db = kyselyOf(em);
  const claimed = await db
    .insertInto("idempotency_keys")
    .columns(["scope", "key", "request_hash", "status_code", "response_body", "expires_at"])
    .expression(
      sql`select ${scope}::text, ${key}::text, ${requestHash}::bytea, 0, '', now() + ${`${ttlMs} milliseconds`}::interval
          where pg_try_advisory_xact_lock(hashtextextended(${`idempotency:${scope}:${key}`}, 0))`,
    )
    .onConflict((oc) =>
      oc
        .columns(["scope", "key"])
        .doUpdateSet((eb) => ({
          request_hash: eb.ref("excluded.request_hash"),
          status_code: 0,
          response_headers: {},
          response_body: "",
          created_at: sql<Date>`now()`,
          expires_at: eb.ref("excluded.expires_at"),
        }))
        .where("idempotency_keys.expires_at", "<=", sql<Date>`now()`),
    )
    .returning(sql<number>`1`.as("claimed"))
    .execute();
  if (claimed.length > 0) return { _tag: "Claimed" };
  const row = await db
    .selectFrom("idempotency_keys")
    .select(["request_hash", "status_code", "response_headers", "response_body"])
    .where("scope", "=", scope)
    .where("key", "=", key)
    .where("expires_at", ">", sql<Date>`now()`)
    .where("status_code", ">", 0)
    .executeTakeFirst();
  if (row === undefined) return { _tag: "InProgress" };
  if (!Buffer.from(row.request_hash).equals(requestHash)) return { _tag: "Reused" };
  return {
    _tag: "Replay",
    answer: { status: row.status_code, headers: row.response_headers, body: row.response_body },
  };
};

/** Records the answer of a claimed key, in the same transaction as the change it answers. */
export const storeIdempotentAnswer = async (
  em: EntityManager,
  scope: string,
  key: string,
  answer: StoredAnswer,
): Promise<void> => {
  await kyselyOf(em)
    .updateTable("idempotency_keys")
    .set({ status_code: answer.status, response_headers: answer.headers, response_body: answer.body })
    .where("scope", "=", scope)
    .where("key", "=", key)
    .execute();
};

/** Deletes expired keys in batches; answers how many. Run by the scheduled cleanup job. */
export const deleteExpiredIdempotencyKeys = async (orm: Orm, batchSize = 5_000): Promise<number> => {
  let total = 0;
  for (;;) {
    const { n } = await kyselyOf(orm.em.fork())
      .with("gone", (db) =>
        db
          .deleteFrom("idempotency_keys")
          .where(
            sql`ctid`,
            "in",
            db
              .selectFrom("idempotency_keys")
              .select(sql`ctid`.as("ctid"))
              .where("expires_at", "<=", sql<Date>`now()`)
              .limit(batchSize),
          )
          .returning(sql<number>`1`.as("one")),
      )
      .selectFrom("gone")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    // count(*) is a bigint, which pg hands over as text.
    const deleted = Number(n);
    total += deleted;
    if (deleted < batchSize) return total;
  }
};

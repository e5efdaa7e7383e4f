import { Effect } from "effect";
import { sql } from "kysely";
import { escapeLiteral, type Pool } from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { begin, heldTransactionOf, quoteLiteral, withLockedTransaction } from "./heldTransaction.ts";
import { kyselyOf } from "./kysely.ts";
import { initOrm, type Orm } from "./orm.ts";
import { afterCommit, CurrentEntityManager } from "./sql.ts";

let orm: Orm;
const sent: string[] = [];
beforeAll(async () => {
  // One connection, so that every transaction below reuses the statements prepared on it.
  orm = await initOrm({ databaseUrl: inject("databaseUrl"), poolSize: 1, onQuery: (text) => sent.push(text) });
});
afterAll(() => orm.close());

const values = {
  text: 'it\'s \\ "quoted"',
  int: 42,
  list: ["a", "b,c", 'd"e'],
  bytes: Buffer.from([0, 1, 254, 255]),
  nothing: null,
  json: { a: [1, "x"] },
  when: new Date("2026-01-02T03:04:05.678Z"),
};

/** A statement with parameters of several kinds, answered back as text. */
const echo = (em: Parameters<typeof kyselyOf>[0]) =>
  sql<Record<string, string | null>>`select ${values.text}::text as text, ${values.int}::int::text as int,
    ${values.list}::text[]::text as list, encode(${values.bytes}::bytea, 'hex') as bytes,
    ${values.nothing}::text as nothing, (${JSON.stringify(values.json)}::jsonb)::text as json,
    to_char(${values.when}::timestamptz at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') as when`
    .execute(kyselyOf(em))
    .then((r) => r.rows[0]);

describe("a held transaction", () => {
  it("quotes a literal exactly as pg's escapeLiteral does", () => {
    const pieces = ["a", "'", "\\", "''", "\\'", "$&", "$'", "é", "\u{1F600}", "\uD800", "\0", "\n", " E", ""];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    const cases = [...pieces, 'it\'s \\ "quoted"'];
    for (let i = 0; i < 5000; i++) {
      let text = "";
      for (let j = next() % 10; j > 0; j--) text += pieces[next() % pieces.length];
      cases.push(text);
    }
    for (const text of cases) expect(quoteLiteral(text), JSON.stringify(text)).toBe(escapeLiteral(text));
  });

  it("sends BEGIN and what was deferred with its first statement, inlined as EXECUTE of the prepared statement, and the same values come back", async () => {
    const expected = await echo(orm.em.fork());
    expect(expected).toEqual({
      text: values.text,
      int: "42",
      list: '{a,"b,c","d\\"e"}',
      bytes: "0001feff",
      nothing: null,
      json: '{"a": [1, "x"]}',
      when: "2026-01-02 03:04:05.678",
    });
    // Prepared by the statement above through the protocol; here as EXECUTE, then through the protocol again.
    for (const round of [1, 2]) {
      sent.length = 0;
      const tx = await begin(orm);
      const deferred = tx.defer(["select 7 as seven"]);
      expect(await echo(tx.em)).toEqual(expected);
      expect(await deferred).toEqual([[{ seven: 7 }]]);
      expect(await echo(tx.em)).toEqual(expected);
      await tx.commit();
      expect(sent.length, `round ${round}`).toBe(3);
      expect(sent[0]).toMatch(/^begin;\nselect 7 as seven;\nexecute "a[\w-]+"\(/);
    }
  });

  it("sends the statement marked last with COMMIT, in one round trip; a failed one commits nothing", async () => {
    const em = orm.em.fork();
    await em.execute("create table if not exists held_last (n int primary key)");
    const insert = (txEm: Parameters<typeof kyselyOf>[0], n: unknown) =>
      sql<{ n: number }>`insert into held_last (n) values (${n}::int) returning n`
        .execute(kyselyOf(txEm))
        .then((r) => r.rows[0]?.n);
    const stored = async () =>
      (await em.execute<Array<{ n: number }>>("select n from held_last order by n")).map((r) => r.n);
    // Not begun for it: nothing changes.
    const plain = await begin(orm);
    expect(plain.commitWithNext()).toBe(false);
    await plain.rollback();

    sent.length = 0;
    const tx = await begin(orm, { commitWithLast: true });
    expect(await insert(tx.em, 1)).toBe(1);
    expect(tx.commitWithNext()).toBe(true);
    expect(await insert(tx.em, 2)).toBe(2);
    expect(sent.length).toBe(2);
    expect(sent[1]).toMatch(/^execute "a[\w-]+"\('2'\);\ncommit$/);
    // Ended: its commit sends nothing, and it runs nothing more.
    expect(await tx.commit()).toEqual([]);
    await expect(insert(tx.em, 3)).rejects.toThrow(/ended/);
    expect(sent.length).toBe(2);
    expect(await stored()).toEqual([1, 2]);

    // The last statement fails (a duplicate key): COMMIT does not run, the rollback undoes the first.
    const failing = await begin(orm, { commitWithLast: true });
    expect(await insert(failing.em, 4)).toBe(4);
    failing.commitWithNext();
    await expect(insert(failing.em, 1)).rejects.toThrow(/duplicate key/);
    await failing.rollback();
    expect(await stored()).toEqual([1, 2]);
    await em.execute("drop table held_last");
  });

  it("a rollback begun while the last statement and its COMMIT are on their way gives the connection back once", async () => {
    const fresh = await initOrm({ databaseUrl: inject("databaseUrl"), poolSize: 1 });
    try {
      const em = fresh.em.fork();
      await em.execute("create table if not exists held_abort (n int primary key)");
      const pool = (await fresh.em.getConnection().getNativeClient()) as Pool;
      const insert = (txEm: Parameters<typeof kyselyOf>[0], n: unknown) =>
        sql<{ n: number }>`insert into held_abort (n) values (${n}::int) returning n`
          .execute(kyselyOf(txEm))
          .then((r) => r.rows[0]?.n);
      const a = await begin(fresh, { commitWithLast: true });
      await sql`select 1`.execute(kyselyOf(a.em));
      a.commitWithNext();
      const last = insert(a.em, 1);
      await new Promise((resolve) => setImmediate(resolve));
      // The request is interrupted: its rollback starts while the insert and COMMIT are sent.
      const rolledBack = a.rollback();
      const b = await begin(fresh);
      expect(await last).toBe(1);
      await rolledBack;
      await sql`select 2`.execute(kyselyOf(b.em));
      // B holds the only connection: nobody else gets it meanwhile.
      const third = await Promise.race([
        pool.connect().then((client) => {
          client.release();
          return "connected";
        }),
        new Promise((resolve) => setTimeout(() => resolve("waited"), 300)),
      ]);
      expect(third).toBe("waited");
      await b.commit();
      // The insert had committed with its COMMIT before the rollback reached PostgreSQL.
      expect(await em.execute("select n from held_abort")).toEqual([{ n: 1 }]);
      await em.execute("drop table held_abort");
    } finally {
      await fresh.close(true);
    }
  });

  it("refuses to commit a transaction a statement of which failed (PostgreSQL would answer ROLLBACK)", async () => {
    const tx = await begin(orm, { commitWithLast: true });
    await sql`select 1`.execute(kyselyOf(tx.em));
    await expect(sql`select 1/0`.execute(kyselyOf(tx.em))).rejects.toThrow(/division by zero/);
    expect(tx.commitWithNext()).toBe(false);
    await expect(tx.commit()).rejects.toThrow(/can only roll back/);
    // Rolled back, and the connection is back in the pool: the next transaction gets it.
    const next = await begin(orm);
    expect(await sql<{ one: number }>`select 1 as one`.execute(kyselyOf(next.em)).then((r) => r.rows)).toEqual([
      { one: 1 },
    ]);
    await next.commit();
  });

  it("prepares a statement its connection has not prepared yet with PREPARE, and pg does not parse it again", async () => {
    const fresh = await initOrm({
      databaseUrl: inject("databaseUrl"),
      poolSize: 1,
      onQuery: (text) => sent.push(text),
    });
    try {
      sent.length = 0;
      const tx = await begin(fresh);
      tx.defer(["select 1"]);
      const expected = { text: values.text };
      const statement = (em: Parameters<typeof kyselyOf>[0]) =>
        sql<{ text: string }>`select ${values.text}::text as text`.execute(kyselyOf(em)).then((r) => r.rows[0]);
      expect(await statement(tx.em)).toEqual(expected);
      await tx.commit();
      expect(sent[0]).toMatch(/;\nprepare "a[\w-]+" as select \$1::text as text;\nexecute "a[\w-]+"\( ?E?'/);
      // Through the protocol now: a second Parse of the name would fail ("already exists").
      expect(await statement(fresh.em.fork())).toEqual(expected);
    } finally {
      await fresh.close(true);
    }
  });

  it("after a string with a PREPARE fails, pg knows whether the statement is prepared; a rollback before anything was sent sends nothing", async () => {
    const fresh = await initOrm({ databaseUrl: inject("databaseUrl"), poolSize: 1 });
    try {
      const pool = (await fresh.em.getConnection().getNativeClient()) as Pool;
      const one = (em: Parameters<typeof kyselyOf>[0], value: unknown) =>
        sql<{ one: number }>`select ${value}::int as one`.execute(kyselyOf(em)).then((r) => r.rows[0]?.one);
      // Failed before its PREPARE ran.
      const before = await begin(fresh);
      before.defer(["select 1/0"]);
      await expect(one(before.em, 1)).rejects.toThrow(/division by zero/);
      await before.rollback();
      expect(await one(fresh.em.fork(), 1)).toBe(1);
      // Failed after it: its own execution.
      const text = (em: Parameters<typeof kyselyOf>[0], value: unknown) =>
        sql<{ two: number }>`select ${value}::int + 1 as two`.execute(kyselyOf(em)).then((r) => r.rows[0]?.two);
      const after = await begin(fresh);
      after.defer(["select 1"]);
      await expect(text(after.em, "x")).rejects.toThrow(/invalid input syntax/);
      await after.rollback();
      expect(await text(fresh.em.fork(), 1)).toBe(2);
      const idle = await begin(fresh);
      await idle.rollback();
      expect(pool.totalCount).toBe(1);
    } finally {
      await fresh.close(true);
    }
  });

  it("a locked transaction's entity manager serves the next one once it has ended, its commit hooks run once, at its own commit", async () => {
    const ran: string[] = [];
    const inside = (label: string) =>
      Effect.gen(function* () {
        const em = yield* CurrentEntityManager;
        if (em === null) throw new Error("no transaction");
        const held = heldTransactionOf(em);
        const deferring = held?.deferring;
        afterCommit(em, async () => {
          ran.push(label);
        });
        const rows = yield* Effect.promise(() => echo(em));
        return { em, held, deferring, rows };
      });
    const locked = (label: string) => Effect.runPromise(withLockedTransaction(orm, `test:${label}`)(inside(label)));
    const first = await locked("first");
    expect(ran).toEqual(["first"]);
    const second = await locked("second");
    expect(ran).toEqual(["first", "second"]);
    expect(second.em).toBe(first.em);
    expect(second.held).not.toBe(first.held);
    expect(second.deferring).toBe(true);
    expect(second.rows).toEqual(first.rows);
    // Ended: nothing maps it to a transaction any more.
    expect(heldTransactionOf(second.em)).toBeUndefined();
    // A failed one gives it back too; its hooks never run.
    await expect(
      Effect.runPromise(
        withLockedTransaction(
          orm,
          "test:failed",
        )(Effect.flatMap(inside("failed"), () => Effect.fail(new Error("refused")))),
      ),
    ).rejects.toThrow(/refused/);
    expect(ran).toEqual(["first", "second"]);
    expect((await locked("third")).em).toBe(first.em);
    expect(ran).toEqual(["first", "second", "third"]);
  });
});

import { RepositoryError, Transactor, UserRepository } from "@admit/domain";
import { Effect, Exit } from "effect";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { kyselyOf } from "./kysely.ts";
import { layer } from "./layer.ts";
import { initOrm, migrate, type Orm } from "./orm.ts";
import { makeTokenSealer } from "./sealing.ts";

let orm: Orm;
beforeAll(async () => {
  orm = await initOrm({ databaseUrl: inject("databaseUrl") });
});
afterAll(() => orm.close());

const run = <A, E>(effect: Effect.Effect<A, E, any>) =>
  Effect.runPromiseExit(effect.pipe(Effect.provide(layer(orm, { tokenKey: "k".repeat(32) }))) as Effect.Effect<A, E>);

describe("migrations", () => {
  it("are recorded and applying them again changes nothing", async () => {
    await migrate(inject("databaseUrl"));
    const rows = await orm.em.fork().execute("select name from admit_migrations order by id");
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(["Migration20261122000000_foundation"]));
  });

  it("enforce one user per normalized email at the database", async () => {
    const em = orm.em.fork();
    await expect(
      em.execute("insert into users (id, email) values (gen_random_uuid(), 'Upper@Example.com')"),
    ).rejects.toThrow();
  });
});

describe("transactions", () => {
  it("roll back every statement when the effect fails, and commit when it succeeds", async () => {
    const email = `tx.${Date.now()}@example.com`;
    const failed = await run(
      Effect.gen(function* () {
        const tx = yield* Transactor;
        const users = yield* UserRepository;
        return yield* tx.withTransaction(
          Effect.gen(function* () {
            yield* users.findOrCreate({ email, firstName: null, lastName: null });
            return yield* Effect.fail(new RepositoryError({ cause: "stop" }));
          }),
        );
      }),
    );
    expect(Exit.isFailure(failed)).toBe(true);
    const found = await run(
      Effect.gen(function* () {
        return yield* (yield* UserRepository).findIdByEmail(email);
      }),
    );
    expect(Exit.isSuccess(found) && found.value).toBe(null);
    const committed = await run(
      Effect.gen(function* () {
        const tx = yield* Transactor;
        const users = yield* UserRepository;
        return yield* tx.withTransaction(users.findOrCreate({ email, firstName: "A", lastName: null }));
      }),
    );
    expect(Exit.isSuccess(committed) && committed.value.created).toBe(true);
  });
});

describe("helpers", () => {
  it("hands a timestamptz over as a Date, as the Kysely types say; date and interval stay text", async () => {
    const db = kyselyOf(orm.em.fork());
    const { rows } = await sql<{
      at: unknown;
      day: unknown;
      span: unknown;
    }>`select now() as at, current_date as day, interval '1 hour' as span`.execute(db);
    expect(rows[0]?.at).toBeInstanceOf(Date);
    expect(rows[0]?.day).toEqual(expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/));
    expect(rows[0]?.span).toBe("01:00:00");
  });

  it("cursors round-trip and reject garbage", () => {
    const p = { createdAt: new Date("2026-01-02T03:04:05.678Z"), id: "01a201ad-5e6f-73fe-9414-1c9b6c622d80" };
    expect(decodeCursor(encodeCursor(p))).toEqual(p);
    expect(decodeCursor("garbage")).toBeNull();
    expect(decodeCursor(Buffer.from("2026-01-01T00:00:00Z|not-a-uuid").toString("base64url"))).toBeNull();
  });

  it("sealed tokens open only with the same key and reveal nothing in clear", () => {
    const sealer = makeTokenSealer("a".repeat(32));
    const sealed = sealer.seal("inv_secret");
    expect(sealed).not.toContain("secret");
    expect(sealer.open(sealed)).toBe("inv_secret");
    expect(() => makeTokenSealer("b".repeat(32)).open(sealed)).toThrow();
  });
});

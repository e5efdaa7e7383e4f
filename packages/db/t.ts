import { Effect } from "effect";
import { Transactor, UserRepository, RepositoryError } from "@admit/domain";
import { startEmbeddedPostgres } from "./src/embedded.ts";
import { initOrm, migrate } from "./src/orm.ts";
import { layer } from "./src/layer.ts";
const pg = await startEmbeddedPostgres({ dataDir: "/tmp/admit-try-" + Date.now(), throwaway: true });
await migrate(pg.adminUrl);
const queries: string[] = [];
const orm = await initOrm({ databaseUrl: pg.adminUrl, onQuery: (s) => queries.push(s) });
const prog = Effect.gen(function* () {
  const tx = yield* Transactor; const users = yield* UserRepository;
  const r = yield* Effect.exit(tx.withTransaction(Effect.gen(function* () {
    const u = yield* users.findOrCreate({ email: "a@b.io", firstName: null, lastName: null });
    console.log("created", u);
    return yield* Effect.fail("boom");
  })));
  console.log("exit", r._tag, yield* users.findIdByEmail("a@b.io"));
  const u2 = yield* tx.withTransaction(users.findOrCreate({ email: "a@b.io", firstName: "A", lastName: null }));
  console.log(u2, yield* users.findOrCreate({ email: "a@b.io", firstName: null, lastName: null }));
});
await Effect.runPromise(prog.pipe(Effect.provide(layer(orm))));
console.log(queries.map(q => q.replace(/\x1b\[[0-9;]*m/g, "").slice(0, 80)).join("\n"));
console.log(await orm.em.fork().execute("select created_at from users"));
await orm.close(); await pg.stop();

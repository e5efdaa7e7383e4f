import { UserRepository, type UserView } from "@admit/domain";
import { Effect, Layer } from "effect";
import { sql } from "kysely";
import { makeRun } from "../kysely.ts";
import { Database } from "../sql.ts";
import { uuidv7 } from "./ids.ts";

/** The columns a `UserView` is read from, under their property names. */
export const USER_VIEW = [
  "id",
  "email",
  "first_name as firstName",
  "last_name as lastName",
  "email_verified as emailVerified",
] as const;

export const userView = (r: {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  emailVerified: boolean;
}): UserView => ({
  id: r.id,
  email: r.email,
  firstName: r.firstName,
  lastName: r.lastName,
  emailVerified: r.emailVerified,
});

export const UserRepositoryPostgres = Layer.effect(
  UserRepository,
  Effect.gen(function* () {
    const run = makeRun((yield* Database).orm);
    return UserRepository.of({
      // `do update` (not `do nothing`) so that a row committed by a concurrent insert is still
      // returned; names only fill in what the user did not have yet.
      findOrCreate: (user) =>
        run((db) =>
          db
            .insertInto("users")
            .values({ id: uuidv7(), email: user.email, first_name: user.firstName, last_name: user.lastName })
            .onConflict((oc) =>
              oc.column("email").doUpdateSet({
                first_name: sql`coalesce(users.first_name, excluded.first_name)`,
                last_name: sql`coalesce(users.last_name, excluded.last_name)`,
              }),
            )
            .returning(["id", sql<boolean>`(xmax = 0)`.as("created")])
            .executeTakeFirstOrThrow(),
        ),
      findOrCreateVerified: (user) =>
        run((db) =>
          db
            .insertInto("users")
            .values({
              id: uuidv7(),
              email: user.email,
              first_name: user.firstName,
              last_name: user.lastName,
              email_verified: true,
            })
            .onConflict((oc) =>
              oc.column("email").doUpdateSet({
                email_verified: true,
                first_name: sql`coalesce(users.first_name, excluded.first_name)`,
                last_name: sql`coalesce(users.last_name, excluded.last_name)`,
              }),
            )
            .returning("id")
            .executeTakeFirstOrThrow(),
        ),
      get: (id) =>
        run((db) => db.selectFrom("users").select(USER_VIEW).where("id", "=", id).executeTakeFirst()).pipe(
          Effect.map((row) => (row ? userView(row) : null)),
        ),
      lock: (id) =>
        run((db) => db.selectFrom("users").select("id").where("id", "=", id).forUpdate().execute()).pipe(Effect.asVoid),
      findOrCreateMany: (emails) =>
        run((db) =>
          db
            .insertInto("users")
            .columns(["id", "email"])
            // In email order, so that concurrent calls over the same emails lock their rows in one
            // order and wait for each other rather than deadlock.
            .expression(
              sql`select * from unnest(${emails.map(() => uuidv7())}::uuid[], ${emails}::text[]) as u(id, email)
                  order by u.email`,
            )
            .onConflict((oc) => oc.column("email").doUpdateSet({ email: (eb) => eb.ref("excluded.email") }))
            .returning(["id", "email"])
            .execute(),
        ).pipe(
          Effect.map((rows) => {
            const ids = new Map(rows.map((r) => [r.email, r.id]));
            return emails.map((email) => ({ id: ids.get(email) ?? "", email }));
          }),
        ),
      findIdByEmail: (email) =>
        run((db) => db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirst()).pipe(
          Effect.map((row) => row?.id ?? null),
        ),
    });
  }),
);

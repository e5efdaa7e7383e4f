import { UserRepository, type UserView } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, makeQuery, pgArray, type Row } from "../sql.ts";
import { uuidv7 } from "./ids.ts";

export const userView = (r: Row): UserView => ({
  id: String(r.id),
  email: String(r.email),
  firstName: r.firstName === null ? null : String(r.firstName),
  lastName: r.lastName === null ? null : String(r.lastName),
  emailVerified: r.emailVerified === true,
});

export const UserRepositoryMikro = Layer.effect(
  UserRepository,
  Effect.gen(function* () {
    const query = makeQuery((yield* Database).orm);
    return UserRepository.of({
      // `do update` (not `do nothing`) so that a row committed by a concurrent insert is still
      // returned; names only fill in what the user did not have yet.
      findOrCreate: (user) =>
        query(
          `insert into users (id, email, first_name, last_name) values (?, ?, ?, ?)
           on conflict (email) do update set
             first_name = coalesce(users.first_name, excluded.first_name),
             last_name = coalesce(users.last_name, excluded.last_name)
           returning id, (xmax = 0) as created`,
          [uuidv7(), user.email, user.firstName, user.lastName],
        ).pipe(Effect.map(([row]) => ({ id: String(row?.id), created: row?.created === true }))),
      findOrCreateVerified: (user) =>
        query(
          `insert into users (id, email, first_name, last_name, email_verified) values (?, ?, ?, ?, true)
           on conflict (email) do update set
             email_verified = true,
             first_name = coalesce(users.first_name, excluded.first_name),
             last_name = coalesce(users.last_name, excluded.last_name)
           returning id`,
          [uuidv7(), user.email, user.firstName, user.lastName],
        ).pipe(Effect.map(([row]) => ({ id: String(row?.id) }))),
      get: (id) =>
        query(
          `select id, email, first_name as "firstName", last_name as "lastName", email_verified as "emailVerified"
           from users where id = ?::uuid`,
          [id],
        ).pipe(Effect.map(([row]) => (row ? userView(row) : null))),
      findOrCreateMany: (emails) =>
        query(
          `insert into users (id, email)
           select * from unnest(?::uuid[], ?::text[])
           on conflict (email) do update set email = excluded.email
           returning id, email`,
          [pgArray(emails.map(() => uuidv7())), pgArray(emails)],
        ).pipe(
          Effect.map((rows) => {
            const ids = new Map(rows.map((r) => [String(r.email), String(r.id)]));
            return emails.map((email) => ({ id: ids.get(email) ?? "", email }));
          }),
        ),
      findIdByEmail: (email) =>
        query("select id from users where email = ?", [email]).pipe(
          Effect.map(([row]) => (row ? String(row.id) : null)),
        ),
    });
  }),
);

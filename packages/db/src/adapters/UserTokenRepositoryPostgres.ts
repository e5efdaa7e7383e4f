import { UserTokenRepository, type UserView } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, date, makeQuery } from "../sql.ts";
import { userView } from "./UserRepositoryPostgres.ts";

export const UserTokenRepositoryPostgres = Layer.effect(
  UserTokenRepository,
  Effect.gen(function* () {
    const { orm, credentials } = yield* Database;
    const query = makeQuery(orm);
    const find = (hash: string, now: Date) =>
      query(
        `select u.id, u.email, u.first_name as "firstName", u.last_name as "lastName", u.email_verified as "emailVerified",
                t.expires_at as "expiresAt"
         from user_tokens t join users u on u.id = t.user_id
         where t.token_hash = decode(?, 'hex') and t.expires_at > ?::timestamptz`,
        [hash, now.toISOString()],
      ).pipe(Effect.map(([row]) => (row ? { user: userView(row as never), expiresAt: date(row.expiresAt) } : null)));
    return UserTokenRepository.of({
      create: (t) =>
        query("insert into user_tokens (id, user_id, token_hash, expires_at) values (?, ?, decode(?, 'hex'), ?)", [
          t.id,
          t.userId,
          t.tokenHash,
          t.expiresAt.toISOString(),
        ]).pipe(Effect.asVoid),
      findUser: (hash, now) => {
        if (credentials === null) return find(hash, now).pipe(Effect.map((found) => found?.user ?? null));
        const hit = credentials.get<{ user: UserView; expiresAt: Date }>("t", hash);
        if (hit !== undefined && hit.expiresAt > now) return Effect.succeed(hit.user);
        const ticket = credentials.begin();
        return find(hash, now).pipe(
          Effect.map((found) => {
            if (found !== null) credentials.set("t", hash, found, ticket, found.user.id);
            return found?.user ?? null;
          }),
        );
      },
    });
  }),
);

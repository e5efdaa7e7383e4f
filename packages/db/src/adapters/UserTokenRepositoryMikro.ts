import { UserTokenRepository } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, makeQuery } from "../sql.ts";
import { userView } from "./UserRepositoryMikro.ts";

export const UserTokenRepositoryMikro = Layer.effect(
  UserTokenRepository,
  Effect.gen(function* () {
    const query = makeQuery((yield* Database).orm);
    return UserTokenRepository.of({
      create: (t) =>
        query("insert into user_tokens (id, user_id, token_hash, expires_at) values (?, ?, decode(?, 'hex'), ?)", [
          t.id,
          t.userId,
          t.tokenHash,
          t.expiresAt.toISOString(),
        ]).pipe(Effect.asVoid),
      findUser: (hash, now) =>
        query(
          `select u.id, u.email, u.first_name as "firstName", u.last_name as "lastName", u.email_verified as "emailVerified"
           from user_tokens t join users u on u.id = t.user_id
           where t.token_hash = decode(?, 'hex') and t.expires_at > ?::timestamptz`,
          [hash, now.toISOString()],
        ).pipe(Effect.map(([row]) => (row ? userView(row) : null))),
    });
  }),
);

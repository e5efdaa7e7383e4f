import { UserTokenRepository, type UserView } from "@admit/domain";
import { Effect, Layer } from "effect";
import { makeRun } from "../kysely.ts";
import { Database } from "../sql.ts";
import { userView } from "./UserRepositoryPostgres.ts";

/** The stored SHA-256 of a token, from its hex form. */
const tokenHash = (hex: string): Buffer => Buffer.from(hex, "hex");

export const UserTokenRepositoryPostgres = Layer.effect(
  UserTokenRepository,
  Effect.gen(function* () {
    const { orm, credentials } = yield* Database;
    const run = makeRun(orm);
    const find = (hash: string, now: Date) =>
      run((db) =>
        db
          .selectFrom("user_tokens")
          .innerJoin("users", "users.id", "user_tokens.user_id")
          .select([
            "users.id",
            "users.email",
            "users.first_name as firstName",
            "users.last_name as lastName",
            "users.email_verified as emailVerified",
            "user_tokens.expires_at as expiresAt",
          ])
          .where("user_tokens.token_hash", "=", tokenHash(hash))
          .where("user_tokens.expires_at", ">", now)
          .executeTakeFirst(),
      ).pipe(Effect.map((row) => (row ? { user: userView(row), expiresAt: row.expiresAt } : null)));
    return UserTokenRepository.of({
      create: (t) =>
        run((db) =>
          db
            .insertInto("user_tokens")
            .values({ id: t.id, user_id: t.userId, token_hash: tokenHash(t.tokenHash), expires_at: t.expiresAt })
            .execute(),
        ).pipe(Effect.asVoid),
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

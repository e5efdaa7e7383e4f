import { ApiKeyRepository, type ApiKeyView } from "@admit/domain";
import { Effect, Layer } from "effect";
import { sql } from "kysely";
import { makeRun } from "../kysely.ts";
import { afterCommit, CurrentEntityManager, Database } from "../sql.ts";
import { keysetPage, toPage } from "./paging.ts";

/** The columns an `ApiKeyView` is read from, under its property names. */
const API_KEY_VIEW = [
  "id",
  "kind",
  "organization_id as organizationId",
  "name",
  "created_at as createdAt",
  "revoked_at as revokedAt",
] as const;

/** The stored SHA-256 of a secret, from its hex form. */
const secretHash = (hex: string): Buffer => Buffer.from(hex, "hex");

export const ApiKeyRepositoryPostgres = Layer.effect(
  ApiKeyRepository,
  Effect.gen(function* () {
    const { orm, credentials } = yield* Database;
    const run = makeRun(orm);
    const findActive = (hash: string) =>
      run((db) =>
        db
          .selectFrom("api_keys")
          .select(API_KEY_VIEW)
          .where("secret_hash", "=", secretHash(hash))
          .where("revoked_at", "is", null)
          .executeTakeFirst(),
      ).pipe(Effect.map((key) => key ?? null));
    return ApiKeyRepository.of({
      create: (k) =>
        run((db) =>
          db
            .insertInto("api_keys")
            .values({
              id: k.id,
              kind: k.kind,
              organization_id: k.organizationId,
              name: k.name,
              secret_hash: secretHash(k.secretHash),
            })
            .returning(API_KEY_VIEW)
            .executeTakeFirstOrThrow(),
        ),
      findActiveByHash: (hash) => {
        if (credentials === null) return findActive(hash);
        const hit = credentials.get<ApiKeyView>("k", hash);
        if (hit !== undefined) return Effect.succeed(hit);
        const ticket = credentials.begin();
        // Only active keys are kept: an unknown or revoked secret always asks the database.
        return findActive(hash).pipe(
          Effect.map((key) => {
            if (key !== null) credentials.set("k", hash, key, ticket);
            return key;
          }),
        );
      },
      get: (id) =>
        run((db) => db.selectFrom("api_keys").select(API_KEY_VIEW).where("id", "=", id).executeTakeFirst()).pipe(
          Effect.map((key) => key ?? null),
        ),
      list: (organizationId, page) =>
        run((db) =>
          db
            .selectFrom("api_keys")
            .select(API_KEY_VIEW)
            .$call((qb) => (organizationId === null ? qb : qb.where("organization_id", "=", organizationId)))
            .$call(keysetPage(page, "api_keys"))
            .execute(),
        ).pipe(Effect.map((rows) => toPage(rows, page, (key) => key))),
      // The table's trigger notifies every process's credential cache when the change commits. The
      // revocation answers only once this process's listener has seen that notification (PostgreSQL
      // sends it to every listener at once), so that no process still serves the key when the caller
      // hears back: at once outside a transaction (the update has committed when it answers), and
      // right after the commit inside one, before the request that committed it is answered.
      revoke: (id) =>
        Effect.gen(function* () {
          const since = credentials?.begin() ?? 0;
          const row = yield* run((db) =>
            db
              .updateTable("api_keys")
              .set((eb) => ({ revoked_at: eb.fn.coalesce("revoked_at", sql<Date>`now()`) }))
              .where("id", "=", id)
              .returning((eb) => [
                ...API_KEY_VIEW,
                sql<string>`encode(${eb.ref("secret_hash")}, 'hex')`.as("secretHash"),
              ])
              .executeTakeFirst(),
          );
          if (row === undefined) return null;
          const { secretHash: hash, ...key } = row;
          if (credentials !== null) {
            credentials.forget("k", hash);
            const seen = () => credentials.delivered("k", hash, since);
            const transaction = yield* CurrentEntityManager;
            if (transaction === null) yield* Effect.promise(seen);
            else afterCommit(transaction, seen);
          }
          return key;
        }),
    });
  }),
);

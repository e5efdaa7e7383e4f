import { type ApiKeyKind, ApiKeyRepository, type ApiKeyView } from "@admit/domain";
import { Effect, Layer } from "effect";
import { afterCommit, CurrentEntityManager, Database, date, dateOrNull, makeQuery, type Row } from "../sql.ts";
import { keyset, toPage } from "./paging.ts";

const COLUMNS = `id, kind, organization_id as "organizationId", name, created_at as "createdAt", revoked_at as "revokedAt"`;

const apiKey = (r: Row): ApiKeyView => ({
  id: String(r.id),
  kind: r.kind as ApiKeyKind,
  organizationId: r.organizationId === null ? null : String(r.organizationId),
  name: String(r.name),
  createdAt: date(r.createdAt),
  revokedAt: dateOrNull(r.revokedAt),
});

export const ApiKeyRepositoryPostgres = Layer.effect(
  ApiKeyRepository,
  Effect.gen(function* () {
    const { orm, credentials } = yield* Database;
    const query = makeQuery(orm);
    const one = (rows: ReadonlyArray<Row>) => (rows[0] ? apiKey(rows[0]) : null);
    const findActive = (hash: string) =>
      query(`select ${COLUMNS} from api_keys where secret_hash = decode(?, 'hex') and revoked_at is null`, [hash]).pipe(
        Effect.map(one),
      );
    return ApiKeyRepository.of({
      create: (k) =>
        query(
          `insert into api_keys (id, kind, organization_id, name, secret_hash)
           values (?, ?, ?, ?, decode(?, 'hex')) returning ${COLUMNS}`,
          [k.id, k.kind, k.organizationId, k.name, k.secretHash],
        ).pipe(Effect.map((rows) => apiKey(rows[0] as Row))),
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
      get: (id) => query(`select ${COLUMNS} from api_keys where id = ?::uuid`, [id]).pipe(Effect.map(one)),
      list: (organizationId, page) => {
        const k = keyset(page);
        return query(
          `select ${COLUMNS} from api_keys where (?::uuid is null or organization_id = ?::uuid) and ${k.where} ${k.order}`,
          [organizationId, organizationId, ...k.params],
        ).pipe(Effect.map((rows) => toPage(rows, page, apiKey)));
      },
      // The table's trigger notifies every process's credential cache when the change commits. The
      // revocation answers only once this process's listener has seen that notification (PostgreSQL
      // sends it to every listener at once), so that no process still serves the key when the caller
      // hears back: at once outside a transaction (the update has committed when it answers), and
      // right after the commit inside one, before the request that committed it is answered.
      revoke: (id) =>
        Effect.gen(function* () {
          const since = credentials?.begin() ?? 0;
          const rows = yield* query(
            `update api_keys set revoked_at = coalesce(revoked_at, now()) where id = ?::uuid
             returning ${COLUMNS}, encode(secret_hash, 'hex') as "secretHash"`,
            [id],
          );
          const hash = rows[0] ? String(rows[0].secretHash) : null;
          if (hash !== null && credentials !== null) {
            credentials.forget("k", hash);
            const seen = () => credentials.delivered("k", hash, since);
            const transaction = yield* CurrentEntityManager;
            if (transaction === null) yield* Effect.promise(seen);
            else afterCommit(transaction, seen);
          }
          return one(rows);
        }),
    });
  }),
);

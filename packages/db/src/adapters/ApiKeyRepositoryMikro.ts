import { type ApiKeyKind, ApiKeyRepository, type ApiKeyView } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, date, dateOrNull, makeQuery, type Row } from "../sql.ts";
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

export const ApiKeyRepositoryMikro = Layer.effect(
  ApiKeyRepository,
  Effect.gen(function* () {
    const query = makeQuery((yield* Database).orm);
    const one = (rows: ReadonlyArray<Row>) => (rows[0] ? apiKey(rows[0]) : null);
    return ApiKeyRepository.of({
      create: (k) =>
        query(
          `insert into api_keys (id, kind, organization_id, name, secret_hash)
           values (?, ?, ?, ?, decode(?, 'hex')) returning ${COLUMNS}`,
          [k.id, k.kind, k.organizationId, k.name, k.secretHash],
        ).pipe(Effect.map((rows) => apiKey(rows[0] as Row))),
      findActiveByHash: (hash) =>
        query(`select ${COLUMNS} from api_keys where secret_hash = decode(?, 'hex') and revoked_at is null`, [
          hash,
        ]).pipe(Effect.map(one)),
      get: (id) => query(`select ${COLUMNS} from api_keys where id = ?::uuid`, [id]).pipe(Effect.map(one)),
      list: (organizationId, page) => {
        const k = keyset(page);
        return query(
          `select ${COLUMNS} from api_keys where (?::uuid is null or organization_id = ?::uuid) and ${k.where} ${k.order}`,
          [organizationId, organizationId, ...k.params],
        ).pipe(Effect.map((rows) => toPage(rows, page, apiKey)));
      },
      revoke: (id) =>
        query(`update api_keys set revoked_at = coalesce(revoked_at, now()) where id = ?::uuid returning ${COLUMNS}`, [
          id,
        ]).pipe(Effect.map(one)),
    });
  }),
);

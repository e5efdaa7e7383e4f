import { type InviterKind, type LinkInviteRecord, LinkInviteRepository, type Role } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, date, dateOrNull, makeQuery, pgArray, type Row } from "../sql.ts";
import { keyset, toPage } from "./paging.ts";

const COLUMNS = `id, organization_id as "organizationId", role, sso, expires_at as "expiresAt", max_uses as "maxUses",
  uses, allowed_email_domains as "allowedEmailDomains", disabled, creator_kind as "creatorKind",
  creator_id as "creatorId", creator_name as "creatorName", created_at as "createdAt", code_sealed as "codeSealed"`;

const toRecord = (r: Row, code: string | null): LinkInviteRecord => ({
  id: String(r.id),
  organizationId: String(r.organizationId),
  role: r.role as Role,
  sso: r.sso === true,
  expiresAt: dateOrNull(r.expiresAt),
  maxUses: r.maxUses === null ? null : Number(r.maxUses),
  uses: Number(r.uses),
  allowedEmailDomains: (r.allowedEmailDomains as unknown[]).map(String),
  disabled: r.disabled === true,
  createdBy: {
    kind: r.creatorKind as InviterKind,
    id: r.creatorId === null ? null : String(r.creatorId),
    name: String(r.creatorName),
  },
  createdAt: date(r.createdAt),
  code,
});

export const LinkInviteRepositoryPostgres = Layer.effect(
  LinkInviteRepository,
  Effect.gen(function* () {
    const { orm, sealer } = yield* Database;
    const query = makeQuery(orm);
    // A code that does not open (another TOKEN_ENCRYPTION_KEY) reads as unknown: the url is then
    // null, as for links made before codes were kept, and joining by the code still works.
    const record = (r: Row): LinkInviteRecord => {
      let code: string | null = null;
      if (r.codeSealed !== null && r.codeSealed !== undefined) {
        try {
          code = sealer.open(String(r.codeSealed));
        } catch {
          code = null;
        }
      }
      return toRecord(r, code);
    };
    const one = (rows: ReadonlyArray<Row>) => (rows[0] ? record(rows[0]) : null);
    return LinkInviteRepository.of({
      create: (l) =>
        query(
          `insert into link_invites (id, organization_id, code_hash, code_sealed, role, sso, expires_at, max_uses,
             allowed_email_domains, creator_kind, creator_id, creator_name)
           values (?, ?, decode(?, 'hex'), ?, ?, ?, ?::timestamptz, ?::int, ?::text[], ?, ?, ?) returning ${COLUMNS}`,
          [
            l.id,
            l.organizationId,
            l.codeHash,
            sealer.seal(l.code),
            l.role,
            l.sso,
            l.expiresAt?.toISOString() ?? null,
            l.maxUses,
            pgArray(l.allowedEmailDomains),
            l.createdBy.kind,
            l.createdBy.id,
            l.createdBy.name,
          ],
        ).pipe(Effect.map((rows) => record(rows[0] as Row))),
      get: (organizationId, id, options) =>
        query(
          `select ${COLUMNS} from link_invites
           where organization_id = ?::uuid and id = ?::uuid and revoked_at is null${options?.lock ? " for update" : ""}`,
          [organizationId, id],
        ).pipe(Effect.map(one)),
      lockByCodeHash: (organizationId, hash) =>
        query(
          `select ${COLUMNS} from link_invites
           where code_hash = decode(?, 'hex') and organization_id = ?::uuid and revoked_at is null for update`,
          [hash, organizationId],
        ).pipe(Effect.map(one)),
      findByCodeHash: (organizationId, hash) =>
        query(
          `select ${COLUMNS} from link_invites
           where code_hash = decode(?, 'hex') and organization_id = ?::uuid and revoked_at is null`,
          [hash, organizationId],
        ).pipe(Effect.map(one)),
      list: (organizationId, page) => {
        const k = keyset(page);
        return query(
          `select ${COLUMNS} from link_invites where organization_id = ?::uuid and revoked_at is null and ${k.where} ${k.order}`,
          [organizationId, ...k.params],
        ).pipe(Effect.map((rows) => toPage(rows, page, record)));
      },
      update: (organizationId, id, c) => {
        const sets: string[] = [];
        const params: unknown[] = [];
        const set = (clause: string, value: unknown) => {
          sets.push(clause);
          params.push(value);
        };
        if (c.role !== undefined) set("role = ?", c.role);
        if (c.expiresAt !== undefined) set("expires_at = ?::timestamptz", c.expiresAt?.toISOString() ?? null);
        if (c.maxUses !== undefined) set("max_uses = ?::int", c.maxUses);
        if (c.disabled !== undefined) set("disabled = ?", c.disabled);
        sets.push("updated_at = now()");
        return query(
          `update link_invites set ${sets.join(", ")}
           where organization_id = ?::uuid and id = ?::uuid and revoked_at is null returning ${COLUMNS}`,
          [...params, organizationId, id],
        ).pipe(Effect.map(one));
      },
      countUse: (id) =>
        query("update link_invites set uses = uses + 1, updated_at = now() where id = ?::uuid", [id]).pipe(
          Effect.asVoid,
        ),
      revoke: (organizationId, id) =>
        query(
          `update link_invites set revoked_at = now(), updated_at = now()
           where organization_id = ?::uuid and id = ?::uuid and revoked_at is null returning id`,
          [organizationId, id],
        ).pipe(Effect.map((rows) => rows.length > 0)),
    });
  }),
);

import { type LinkInviteRecord, LinkInviteRepository } from "@admit/domain";
import { Effect, Layer } from "effect";
import { type Selection, sql } from "kysely";
import { type DB, hexBytes, makeRun, type Sql } from "../kysely.ts";
import { Database } from "../sql.ts";
import { pageAfter, toPage } from "./paging.ts";

/** The columns a `LinkInviteRecord` is read from, under their property names. */
const LINK_COLUMNS = [
  "id",
  "organization_id as organizationId",
  "role",
  "sso",
  "expires_at as expiresAt",
  "max_uses as maxUses",
  "uses",
  "allowed_email_domains as allowedEmailDomains",
  "disabled",
  "creator_kind as creatorKind",
  "creator_id as creatorId",
  "creator_name as creatorName",
  "created_at as createdAt",
  "code_sealed as codeSealed",
] as const;

type LinkRow = Selection<DB, "link_invites", (typeof LINK_COLUMNS)[number]>;

const toRecord = (r: LinkRow, code: string | null): LinkInviteRecord => ({
  id: r.id,
  organizationId: r.organizationId,
  role: r.role,
  sso: r.sso,
  expiresAt: r.expiresAt,
  maxUses: r.maxUses,
  uses: r.uses,
  allowedEmailDomains: r.allowedEmailDomains,
  disabled: r.disabled,
  createdBy: { kind: r.creatorKind, id: r.creatorId, name: r.creatorName },
  createdAt: r.createdAt,
  code,
});

/** The live link of an organization with the code of this hash; callers add the lock or not. */
const byCodeHash = (db: Sql, organizationId: string, hash: string) =>
  db
    .selectFrom("link_invites")
    .select(LINK_COLUMNS)
    .where("code_hash", "=", hexBytes(hash))
    .where("organization_id", "=", organizationId)
    .where("revoked_at", "is", null);

export const LinkInviteRepositoryPostgres = Layer.effect(
  LinkInviteRepository,
  Effect.gen(function* () {
    const { orm, sealer } = yield* Database;
    const run = makeRun(orm);
    // A code that does not open (another TOKEN_ENCRYPTION_KEY) reads as unknown: the url is then
    // null, as for links made before codes were kept, and joining by the code still works.
    const record = (r: LinkRow): LinkInviteRecord => {
      let code: string | null = null;
      if (r.codeSealed !== null) {
        try {
          code = sealer.open(r.codeSealed);
        } catch {
          code = null;
        }
      }
      return toRecord(r, code);
    };
    const one = (row: LinkRow | undefined) => (row ? record(row) : null);
    return LinkInviteRepository.of({
      create: (l) =>
        run((db) =>
          db
            .insertInto("link_invites")
            .values({
              id: l.id,
              organization_id: l.organizationId,
              code_hash: hexBytes(l.codeHash),
              code_sealed: sealer.seal(l.code),
              role: l.role,
              sso: l.sso,
              expires_at: l.expiresAt,
              max_uses: l.maxUses,
              allowed_email_domains: [...l.allowedEmailDomains],
              creator_kind: l.createdBy.kind,
              creator_id: l.createdBy.id,
              creator_name: l.createdBy.name,
            })
            .returning(LINK_COLUMNS)
            .executeTakeFirstOrThrow(),
        ).pipe(Effect.map(record)),
      get: (organizationId, id, options) =>
        run((db) =>
          db
            .selectFrom("link_invites")
            .select(LINK_COLUMNS)
            .where("organization_id", "=", organizationId)
            .where("id", "=", id)
            .where("revoked_at", "is", null)
            .$if(options?.lock === true, (qb) => qb.forUpdate())
            .executeTakeFirst(),
        ).pipe(Effect.map(one)),
      lockByCodeHash: (organizationId, hash) =>
        run((db) => byCodeHash(db, organizationId, hash).forUpdate().executeTakeFirst()).pipe(Effect.map(one)),
      findByCodeHash: (organizationId, hash) =>
        run((db) => byCodeHash(db, organizationId, hash).executeTakeFirst()).pipe(Effect.map(one)),
      list: (organizationId, page) => {
        const after = pageAfter(page);
        return run((db) =>
          db
            .selectFrom("link_invites")
            .select(LINK_COLUMNS)
            .where("organization_id", "=", organizationId)
            .where("revoked_at", "is", null)
            .where((eb) =>
              after === null
                ? eb.lit(true)
                : eb(eb.refTuple("created_at", "id"), "<", eb.tuple(after.createdAt, after.id)),
            )
            .orderBy("created_at", "desc")
            .orderBy("id", "desc")
            .limit(page.limit + 1)
            .execute(),
        ).pipe(Effect.map((rows) => toPage(rows, page, record)));
      },
      update: (organizationId, id, c) =>
        run((db) =>
          db
            .updateTable("link_invites")
            .set({
              ...(c.role === undefined ? {} : { role: c.role }),
              ...(c.expiresAt === undefined ? {} : { expires_at: c.expiresAt }),
              ...(c.maxUses === undefined ? {} : { max_uses: c.maxUses }),
              ...(c.disabled === undefined ? {} : { disabled: c.disabled }),
              updated_at: sql`now()`,
            })
            .where("organization_id", "=", organizationId)
            .where("id", "=", id)
            .where("revoked_at", "is", null)
            .returning(LINK_COLUMNS)
            .executeTakeFirst(),
        ).pipe(Effect.map(one)),
      countUse: (id) =>
        run((db) =>
          db
            .updateTable("link_invites")
            .set((eb) => ({ uses: eb("uses", "+", 1), updated_at: sql`now()` }))
            .where("id", "=", id)
            .execute(),
        ).pipe(Effect.asVoid),
      revoke: (organizationId, id) =>
        run((db) =>
          db
            .updateTable("link_invites")
            .set({ revoked_at: sql`now()`, updated_at: sql`now()` })
            .where("organization_id", "=", organizationId)
            .where("id", "=", id)
            .where("revoked_at", "is", null)
            .returning("id")
            .executeTakeFirst(),
        ).pipe(Effect.map((row) => row !== undefined)),
    });
  }),
);

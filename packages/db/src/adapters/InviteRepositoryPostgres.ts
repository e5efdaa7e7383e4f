import { type InviteRecord, InviteRepository, RepositoryError } from "@admit/domain";
import { Effect, Layer } from "effect";
import { type Selection, sql } from "kysely";
import { decodeCursor } from "../cursor.ts";
import { type DB, hexBytes, makeRun, makeRunArrays, type Sql, uuids } from "../kysely.ts";
import { Database } from "../sql.ts";
import { LISTED_COLUMNS, listedPage } from "./invitePage.ts";
import { upsertPendingInvites } from "./inviteRows.ts";

/** The columns an `InviteRecord` is read from (`invites as i` joined to `deliveries as d`), under their property names. */
export const INVITE_COLUMNS = [
  "i.id",
  "i.email",
  "i.target_type as targetType",
  "i.target_id as targetId",
  "i.organization_id as organizationId",
  "i.role",
  "i.status",
  "i.expires_at as expiresAt",
  "i.created_at as createdAt",
  "i.inviter_kind as inviterKind",
  "i.inviter_id as inviterId",
  "d.inviter_name as inviterName",
  "d.id as deliveryId",
  "d.status as deliveryStatus",
  "d.last_error as lastError",
  "i.redirect_url as redirectUrl",
  "i.locale",
  "d.bounce_type as bounceType",
  "d.bounce_description as bounceDescription",
  "d.bounce_permanent as bouncePermanent",
] as const;

/** A row of `INVITE_COLUMNS`, as the entities type it. */
export type InviteRow = Selection<
  { i: DB["invites"]; d: DB["deliveries"] },
  "i" | "d",
  (typeof INVITE_COLUMNS)[number]
>;

/** Invites joined to their delivery, selecting `INVITE_COLUMNS`; callers add the conditions. */
export const selectInvites = (db: Sql) =>
  db.selectFrom("invites as i").innerJoin("deliveries as d", "d.id", "i.delivery_id").select(INVITE_COLUMNS);

export const inviteRecord = (r: InviteRow): InviteRecord => ({
  id: r.id,
  email: r.email,
  target: { type: r.targetType, id: r.targetId, organizationId: r.organizationId },
  role: r.role,
  status: r.status,
  expiresAt: r.expiresAt,
  createdAt: r.createdAt,
  inviter: { kind: r.inviterKind, id: r.inviterId, name: r.inviterName ?? "" },
  delivery: {
    id: r.deliveryId,
    status: r.deliveryStatus,
    lastError: r.lastError,
    bounce:
      r.bounceType === null
        ? null
        : { type: r.bounceType, description: r.bounceDescription ?? "", permanent: r.bouncePermanent === true },
  },
  redirectUrl: r.redirectUrl,
  locale: r.locale,
});

export const InviteRepositoryPostgres = Layer.effect(
  InviteRepository,
  Effect.gen(function* () {
    const { orm } = yield* Database;
    const run = makeRun(orm);
    const runArrays = makeRunArrays(orm);
    return InviteRepository.of({
      upsertPending: (invites) =>
        run((db) => upsertPendingInvites(db, invites).returning(["id", "target_type", "target_id"]).execute()).pipe(
          Effect.map((rows) => {
            const ids = new Map(rows.map((r) => [`${r.target_type}:${r.target_id}`, r.id]));
            return invites.map((i) => ids.get(`${i.target.type}:${i.target.id}`) ?? i.id);
          }),
        ),
      // Locking takes its own statement: a lock that waited for a concurrent update re-checks
      // only the invite row, so a join to a delivery the update replaced would drop it.
      get: (id, options) =>
        (options?.lock
          ? run((db) => db.selectFrom("invites").select("id").where("id", "=", id).forUpdate().execute())
          : Effect.void
        ).pipe(
          Effect.andThen(run((db) => selectInvites(db).where("i.id", "=", id).executeTakeFirst())),
          Effect.map((row) => (row ? inviteRecord(row) : null)),
        ),
      list: (filter, page) => {
        const after = page.cursor === null ? null : decodeCursor(page.cursor);
        return runArrays((db) => {
          let q = db
            .selectFrom("invites as i")
            .innerJoin("deliveries as d", "d.id", "i.delivery_id")
            .select(LISTED_COLUMNS);
          if (filter.organizationId !== undefined) q = q.where("i.organization_id", "=", filter.organizationId);
          if (filter.websiteId !== undefined)
            q = q.where("i.target_type", "=", "website").where("i.target_id", "=", filter.websiteId);
          if (filter.groupId !== undefined)
            q = q.where("i.target_type", "=", "group").where("i.target_id", "=", filter.groupId);
          if (filter.email !== undefined) q = q.where("i.email", "=", filter.email);
          if (filter.status === "pending")
            q = q.where("i.status", "=", "pending").where("i.expires_at", ">", filter.now);
          else if (filter.status === "expired")
            q = q.where("i.status", "=", "pending").where("i.expires_at", "<=", filter.now);
          else if (filter.status !== undefined) q = q.where("i.status", "=", filter.status);
          if (filter.deliveryStatus !== undefined) q = q.where("d.status", "=", filter.deliveryStatus);
          if (after !== null)
            q = q.where((eb) => eb(eb.refTuple("i.created_at", "i.id"), "<", eb.tuple(after.createdAt, after.id)));
          return q
            .orderBy("i.created_at", "desc")
            .orderBy("i.id", "desc")
            .limit(page.limit + 1)
            .compile();
        }).pipe(
          Effect.flatMap((rows) =>
            Effect.try({ try: () => listedPage(rows, page), catch: (cause) => new RepositoryError({ cause }) }),
          ),
        );
      },
      findByTokenHash: (hash, options) =>
        run((db) =>
          selectInvites(db)
            .where("d.token_hash", "=", hexBytes(hash))
            .$if(options?.lock === true, (qb) => qb.forUpdate("i"))
            .execute(),
        ).pipe(
          Effect.flatMap((rows) =>
            rows[0] !== undefined
              ? Effect.succeed({ email: rows[0].email, invites: rows.map(inviteRecord) })
              : run((db) =>
                  db
                    .selectFrom("deliveries")
                    .select("email")
                    .where("token_hash", "=", hexBytes(hash))
                    .executeTakeFirst(),
                ).pipe(Effect.map((d) => (d ? { email: d.email, invites: [] } : null))),
          ),
        ),
      respond: (ids, status, userId) =>
        run((db) =>
          db
            .updateTable("invites")
            .set({ status, responded_at: sql<Date>`now()`, updated_at: sql<Date>`now()`, accepted_user_id: userId })
            .where((eb) => eb("id", "=", eb.fn.any(uuids(ids))))
            .where("status", "=", "pending")
            .execute(),
        ).pipe(Effect.asVoid),
      redeliver: (id, deliveryId, expiresAt) =>
        run((db) =>
          db
            .updateTable("invites")
            .set({ delivery_id: deliveryId, expires_at: expiresAt, updated_at: sql<Date>`now()` })
            .where("id", "=", id)
            .execute(),
        ).pipe(Effect.asVoid),
    });
  }),
);

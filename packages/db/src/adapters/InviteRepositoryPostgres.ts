import {
  type DeliveryStatus,
  type InviteRecord,
  InviteRepository,
  type InviterKind,
  RepositoryError,
  type Role,
  type StoredInviteStatus,
  type TargetType,
} from "@admit/domain";
import { Effect, Layer } from "effect";
import { decodeCursor } from "../cursor.ts";
import { makeRun } from "../kysely.ts";
import { Database, date, makeQuery, pgArray, type Row } from "../sql.ts";
import { LISTED_COLUMNS, listedPage } from "./invitePage.ts";

export const SELECT = `select i.id, i.email, i.target_type as "targetType", i.target_id as "targetId",
  i.organization_id as "organizationId", i.role, i.status, i.expires_at as "expiresAt", i.created_at as "createdAt",
  i.inviter_kind as "inviterKind", i.inviter_id as "inviterId", d.inviter_name as "inviterName",
  d.id as "deliveryId", d.status as "deliveryStatus", d.last_error as "lastError",
  i.redirect_url as "redirectUrl", i.locale,
  d.bounce_type as "bounceType", d.bounce_description as "bounceDescription", d.bounce_permanent as "bouncePermanent"
  from invites i join deliveries d on d.id = i.delivery_id`;

export const record = (r: Row): InviteRecord => ({
  id: String(r.id),
  email: String(r.email),
  target: {
    type: r.targetType as TargetType,
    id: String(r.targetId),
    organizationId: r.organizationId === null ? null : String(r.organizationId),
  },
  role: r.role as Role,
  status: r.status as StoredInviteStatus,
  expiresAt: date(r.expiresAt),
  createdAt: date(r.createdAt),
  inviter: {
    kind: r.inviterKind as InviterKind,
    id: r.inviterId === null ? null : String(r.inviterId),
    name: String(r.inviterName ?? ""),
  },
  delivery: {
    id: String(r.deliveryId),
    status: r.deliveryStatus as DeliveryStatus,
    lastError: r.lastError === null ? null : String(r.lastError),
    bounce:
      r.bounceType === null
        ? null
        : {
            type: String(r.bounceType),
            description: String(r.bounceDescription ?? ""),
            permanent: Boolean(r.bouncePermanent),
          },
  },
  redirectUrl: r.redirectUrl === null ? null : String(r.redirectUrl),
  locale: r.locale === null ? null : String(r.locale),
});

export const InviteRepositoryPostgres = Layer.effect(
  InviteRepository,
  Effect.gen(function* () {
    const query = makeQuery((yield* Database).orm);
    const run = makeRun((yield* Database).orm);
    return InviteRepository.of({
      upsertPending: (invites) => {
        const col = <T extends string | Date | null>(f: (i: (typeof invites)[number]) => T) => pgArray(invites.map(f));
        return query(
          `insert into invites (id, email, target_type, target_id, organization_id, role, delivery_id,
                                inviter_kind, inviter_id, first_name, last_name, expires_at, redirect_url, locale)
           select * from unnest(?::uuid[], ?::text[], ?::text[], ?::uuid[], ?::uuid[], ?::text[], ?::uuid[],
                                ?::text[], ?::uuid[], ?::text[], ?::text[], ?::timestamptz[], ?::text[], ?::text[])
           on conflict (target_type, target_id, email) where status = 'pending' do update set
             role = excluded.role, delivery_id = excluded.delivery_id, inviter_kind = excluded.inviter_kind,
             inviter_id = excluded.inviter_id, first_name = excluded.first_name, last_name = excluded.last_name,
             expires_at = excluded.expires_at, redirect_url = excluded.redirect_url, locale = excluded.locale,
             updated_at = now()
           returning id, target_type as "targetType", target_id as "targetId"`,
          [
            col((i) => i.id),
            col((i) => i.email),
            col((i) => i.target.type),
            col((i) => i.target.id),
            col((i) => i.target.organizationId),
            col((i) => i.role),
            col((i) => i.deliveryId),
            col((i) => i.inviter.kind),
            col((i) => i.inviter.id),
            col((i) => i.firstName),
            col((i) => i.lastName),
            col((i) => i.expiresAt),
            col((i) => i.redirectUrl),
            col((i) => i.locale),
          ],
        ).pipe(
          Effect.map((rows) => {
            const ids = new Map(rows.map((r) => [`${r.targetType}:${r.targetId}`, String(r.id)]));
            return invites.map((i) => ids.get(`${i.target.type}:${i.target.id}`) ?? i.id);
          }),
        );
      },
      // Locking takes its own statement: a lock that waited for a concurrent update re-checks
      // only the invite row, so a join to a delivery the update replaced would drop it.
      get: (id, options) =>
        (options?.lock ? query("select id from invites where id = ?::uuid for update", [id]) : Effect.void).pipe(
          Effect.andThen(query(`${SELECT} where i.id = ?::uuid`, [id])),
          Effect.map(([row]) => (row ? record(row) : null)),
        ),
      list: (filter, page) => {
        const after = page.cursor === null ? null : decodeCursor(page.cursor);
        return run((db) => {
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
            .execute();
        }).pipe(
          Effect.flatMap((rows) =>
            Effect.try({ try: () => listedPage(rows, page), catch: (cause) => new RepositoryError({ cause }) }),
          ),
        );
      },
      findByTokenHash: (hash, options) =>
        query(`${SELECT} where d.token_hash = decode(?, 'hex')${options?.lock ? " for update of i" : ""}`, [hash]).pipe(
          Effect.flatMap((rows) =>
            rows.length > 0
              ? Effect.succeed({ email: String(rows[0]?.email), invites: rows.map(record) })
              : query("select email from deliveries where token_hash = decode(?, 'hex')", [hash]).pipe(
                  Effect.map(([d]) => (d ? { email: String(d.email), invites: [] } : null)),
                ),
          ),
        ),
      respond: (ids, status, userId) =>
        query(
          `update invites set status = ?, responded_at = now(), updated_at = now(), accepted_user_id = ?::uuid
           where id = any(?::uuid[]) and status = 'pending'`,
          [status, userId, pgArray(ids)],
        ).pipe(Effect.asVoid),
      redeliver: (id, deliveryId, expiresAt) =>
        query(
          "update invites set delivery_id = ?, expires_at = ?::timestamptz, updated_at = now() where id = ?::uuid",
          [deliveryId, expiresAt.toISOString(), id],
        ).pipe(Effect.asVoid),
    });
  }),
);

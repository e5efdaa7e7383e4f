import type { NewInvite } from "@admit/domain";
import { type QueryCreator, type RawBuilder, sql } from "kysely";
import type { DB } from "../kysely.ts";

/** The columns of `invites`, one array each, in the order `upsertPendingInvites` sends them. */
export const pendingInviteColumns = (invites: ReadonlyArray<NewInvite>): ReadonlyArray<ReadonlyArray<unknown>> => {
  const col = <T>(f: (i: NewInvite) => T) => invites.map(f);
  return [
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
    col((i) => i.expiresAt.toISOString()),
    col((i) => i.redirectUrl),
    col((i) => i.locale),
  ];
};

/**
 * Inserts `invites` as pending, as one `unnest` of their columns: an invite to a target where the
 * recipient has a pending invite replaces that one in place (it keeps its id and status, and
 * takes the new role, delivery, inviter, names, expiry, redirect and locale). With `when`, the
 * rows are inserted only while that condition holds. Callers add `returning`. The columns are
 * `pendingInviteColumns(invites)`, or the very arrays a caller made with it (so that it can name
 * them as parameters, see `compiledOnce`).
 */
export const upsertPendingInvites = (
  db: QueryCreator<DB>,
  invites: ReadonlyArray<NewInvite>,
  when?: RawBuilder<unknown>,
  columns: ReadonlyArray<ReadonlyArray<unknown>> = pendingInviteColumns(invites),
) => {
  const [
    id,
    email,
    type,
    targetId,
    organizationId,
    role,
    deliveryId,
    inviterKind,
    inviterId,
    first,
    last,
    expires,
    redirect,
    locale,
  ] = columns;
  return db
    .insertInto("invites")
    .columns([
      "id",
      "email",
      "target_type",
      "target_id",
      "organization_id",
      "role",
      "delivery_id",
      "inviter_kind",
      "inviter_id",
      "first_name",
      "last_name",
      "expires_at",
      "redirect_url",
      "locale",
    ])
    .expression(
      sql`select * from unnest(${id}::uuid[], ${email}::text[],
            ${type}::text[], ${targetId}::uuid[],
            ${organizationId}::uuid[], ${role}::text[],
            ${deliveryId}::uuid[], ${inviterKind}::text[],
            ${inviterId}::uuid[], ${first}::text[],
            ${last}::text[], ${expires}::timestamptz[],
            ${redirect}::text[], ${locale}::text[])
          ${when === undefined ? sql`` : sql`where ${when}`}`,
    )
    .onConflict((oc) =>
      oc
        .columns(["target_type", "target_id", "email"])
        // A literal, not a parameter: the arbiter index is inferred from this predicate when the
        // statement is planned, which a prepared statement does before knowing its parameters.
        .where("status", "=", sql.lit("pending"))
        .doUpdateSet((eb) => ({
          role: eb.ref("excluded.role"),
          delivery_id: eb.ref("excluded.delivery_id"),
          inviter_kind: eb.ref("excluded.inviter_kind"),
          inviter_id: eb.ref("excluded.inviter_id"),
          first_name: eb.ref("excluded.first_name"),
          last_name: eb.ref("excluded.last_name"),
          expires_at: eb.ref("excluded.expires_at"),
          redirect_url: eb.ref("excluded.redirect_url"),
          locale: eb.ref("excluded.locale"),
          updated_at: sql<Date>`now()`,
        })),
    );
};

import type { NewInvite } from "@admit/domain";
import { type QueryCreator, type RawBuilder, sql } from "kysely";
import type { DB } from "../kysely.ts";

/**
 * Inserts `invites` as pending, as one `unnest` of their columns: an invite to a target where the
 * recipient has a pending invite replaces that one in place (it keeps its id and status, and
 * takes the new role, delivery, inviter, names, expiry, redirect and locale). With `when`, the
 * rows are inserted only while that condition holds. Callers add `returning`.
 */
export const upsertPendingInvites = (
  db: QueryCreator<DB>,
  invites: ReadonlyArray<NewInvite>,
  when?: RawBuilder<unknown>,
) => {
  const col = <T>(f: (i: NewInvite) => T) => invites.map(f);
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
      sql`select * from unnest(${col((i) => i.id)}::uuid[], ${col((i) => i.email)}::text[],
            ${col((i) => i.target.type)}::text[], ${col((i) => i.target.id)}::uuid[],
            ${col((i) => i.target.organizationId)}::uuid[], ${col((i) => i.role)}::text[],
            ${col((i) => i.deliveryId)}::uuid[], ${col((i) => i.inviter.kind)}::text[],
            ${col((i) => i.inviter.id)}::uuid[], ${col((i) => i.firstName)}::text[],
            ${col((i) => i.lastName)}::text[], ${col((i) => i.expiresAt.toISOString())}::timestamptz[],
            ${col((i) => i.redirectUrl)}::text[], ${col((i) => i.locale)}::text[])
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

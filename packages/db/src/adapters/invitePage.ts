import {
  DELIVERY_STATUSES,
  type DeliveryStatus,
  type InviteRecord,
  type InviterKind,
  type Page,
  type PageRequest,
  ROLES,
  type Role,
  type StoredInviteStatus,
  TARGET_TYPES,
  type TargetType,
} from "@admit/domain";
import { encodeCursor } from "../cursor.ts";
import { readTimestamp } from "../jsonDate.ts";

/**
 * `InviteRepository.list` reads pages of up to a thousand invites: the columns it selects and how
 * a row becomes an `InviteRecord`, directly and once per row.
 */

/** What `list` reads: the columns of an `InviteRecord` and nothing more, under their own names. */
export const LISTED_COLUMNS = [
  "i.id",
  "i.email",
  "i.target_type",
  "i.target_id",
  "i.organization_id",
  "i.role",
  "i.status",
  "i.expires_at",
  "i.created_at",
  "i.inviter_kind",
  "i.inviter_id",
  "i.redirect_url",
  "i.locale",
  "d.id as delivery_id",
  "d.status as delivery_status",
  "d.inviter_name",
  "d.last_error",
  "d.bounce_type",
  "d.bounce_description",
  "d.bounce_permanent",
] as const;

export interface ListedRow {
  readonly id: string;
  readonly email: string;
  readonly target_type: string;
  readonly target_id: string;
  readonly organization_id: string | null;
  readonly role: string;
  readonly status: string;
  readonly expires_at: unknown;
  readonly created_at: unknown;
  readonly inviter_kind: string;
  readonly inviter_id: string | null;
  readonly redirect_url: string | null;
  readonly locale: string | null;
  readonly delivery_id: string;
  readonly delivery_status: string;
  readonly inviter_name: string | null;
  readonly last_error: string | null;
  readonly bounce_type: string | null;
  readonly bounce_description: string | null;
  readonly bounce_permanent: boolean | null;
}

/** A text column held to a fixed list by a check constraint, read as that list's type (a stray value throws). */
const oneOfValues = <const T extends string>(values: ReadonlyArray<T>, column: string) => {
  const known = new Set<string>(values);
  return (value: string): T => {
    if (!known.has(value)) throw new Error(`${column}: unexpected value ${JSON.stringify(value)}`);
    return value as T;
  };
};
const targetType = oneOfValues<TargetType>(TARGET_TYPES, "invites.target_type");
const role = oneOfValues<Role>(ROLES, "invites.role");
const storedStatus = oneOfValues<StoredInviteStatus>(["pending", "accepted", "declined", "revoked"], "invites.status");
const inviterKind = oneOfValues<InviterKind>(["root", "api_key", "user"], "invites.inviter_kind");
const deliveryStatus = oneOfValues<DeliveryStatus>(DELIVERY_STATUSES, "deliveries.status");

/**
 * A page of `list`: the extra row fetched to know whether another page exists is cut off. Up to
 * a thousand rows per page pass through here, so each becomes its record directly.
 */
export const listedPage = (rows: ReadonlyArray<ListedRow>, page: PageRequest): Page<InviteRecord> => {
  const count = Math.min(rows.length, page.limit);
  const items = new Array<InviteRecord>(count);
  for (let n = 0; n < count; n++) {
    const r = rows[n] as ListedRow;
    items[n] = {
      id: r.id,
      email: r.email,
      target: { type: targetType(r.target_type), id: r.target_id, organizationId: r.organization_id },
      role: role(r.role),
      status: storedStatus(r.status),
      expiresAt: readTimestamp(r.expires_at),
      createdAt: readTimestamp(r.created_at),
      inviter: { kind: inviterKind(r.inviter_kind), id: r.inviter_id, name: r.inviter_name ?? "" },
      delivery: {
        id: r.delivery_id,
        status: deliveryStatus(r.delivery_status),
        lastError: r.last_error,
        bounce:
          r.bounce_type === null
            ? null
            : { type: r.bounce_type, description: r.bounce_description ?? "", permanent: r.bounce_permanent === true },
      },
      redirectUrl: r.redirect_url,
      locale: r.locale,
    };
  }
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > page.limit && last !== undefined ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
};

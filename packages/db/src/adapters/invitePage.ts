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

/**
 * What `list` reads: the columns of an `InviteRecord` and nothing more. Rows come as arrays of
 * these columns in this order (`makeRunArrays`), read by the positions below.
 */
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

/** A row of `LISTED_COLUMNS`, as the driver hands it over. */
export type ListedRow = readonly [
  id: string,
  email: string,
  targetType: string,
  targetId: string,
  organizationId: string | null,
  role: string,
  status: string,
  expiresAt: unknown,
  createdAt: unknown,
  inviterKind: string,
  inviterId: string | null,
  redirectUrl: string | null,
  locale: string | null,
  deliveryId: string,
  deliveryStatus: string,
  inviterName: string | null,
  lastError: string | null,
  bounceType: string | null,
  bounceDescription: string | null,
  bouncePermanent: boolean | null,
];

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
export const listedPage = (rows: ReadonlyArray<ReadonlyArray<unknown>>, page: PageRequest): Page<InviteRecord> => {
  const count = Math.min(rows.length, page.limit);
  if (count > 0 && rows[0]?.length !== LISTED_COLUMNS.length)
    throw new Error(`invites list: ${rows[0]?.length} columns, expected ${LISTED_COLUMNS.length}`);
  const items = new Array<InviteRecord>(count);
  for (let n = 0; n < count; n++) {
    const r = rows[n] as ListedRow;
    items[n] = {
      id: r[0],
      email: r[1],
      target: { type: targetType(r[2]), id: r[3], organizationId: r[4] },
      role: role(r[5]),
      status: storedStatus(r[6]),
      expiresAt: readTimestamp(r[7]),
      createdAt: readTimestamp(r[8]),
      inviter: { kind: inviterKind(r[9]), id: r[10], name: r[15] ?? "" },
      delivery: {
        id: r[13],
        status: deliveryStatus(r[14]),
        lastError: r[16],
        bounce: r[17] === null ? null : { type: r[17], description: r[18] ?? "", permanent: r[19] === true },
      },
      redirectUrl: r[11],
      locale: r[12],
    };
  }
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > page.limit && last !== undefined ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
};

import type { Page, PageRequest } from "@admit/domain";
import { type CursorPosition, decodeCursor, encodeCursor } from "../cursor.ts";
import { timestamp } from "../kysely.ts";
import { date, type Row } from "../sql.ts";

/**
 * The keyset condition and limit for a page ordered by (created_at desc, id desc): `where` is
 * `true` on the first page. Fetches one row more than asked to know whether a next page exists.
 */
export const keyset = (page: PageRequest, alias = "") => {
  const col = (c: string) => (alias ? `${alias}.${c}` : c);
  const after = page.cursor === null ? null : decodeCursor(page.cursor);
  return {
    where: after === null ? "true" : `(${col("created_at")}, ${col("id")}) < (?::timestamptz, ?::uuid)`,
    params: after === null ? [] : [after.createdAt.toISOString(), after.id],
    order: `order by ${col("created_at")} desc, ${col("id")} desc limit ${page.limit + 1}`,
  };
};

/** Cuts the extra row off and turns the last row into the next cursor. */
export const toPage = <T>(rows: ReadonlyArray<Row>, page: PageRequest, map: (row: Row) => T): Page<T> => {
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(map),
    nextCursor:
      rows.length > page.limit && last !== undefined
        ? encodeCursor({ createdAt: date(last.createdAt), id: String(last.id) })
        : null,
  };
};

/** Where a typed page starts: the position of the previous page's last row; null on the first page. */
export const pageAfter = (page: PageRequest): CursorPosition | null =>
  page.cursor === null ? null : decodeCursor(page.cursor);

/** `toPage` for rows typed by their statement. */
export const typedPage = <R extends { readonly createdAt: string; readonly id: string }, T>(
  rows: ReadonlyArray<R>,
  page: PageRequest,
  map: (row: R) => T,
): Page<T> => {
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(map),
    nextCursor:
      rows.length > page.limit && last !== undefined
        ? encodeCursor({ createdAt: timestamp(last.createdAt), id: last.id })
        : null,
  };
};

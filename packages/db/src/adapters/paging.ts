import type { Page, PageRequest } from "@admit/domain";
import { type SelectQueryBuilder, sql } from "kysely";
import { type CursorPosition, decodeCursor, encodeCursor } from "../cursor.ts";
import type { DB } from "../kysely.ts";

/** The tables a keyset page can be read from: those with `created_at` and an `id`. */
export type KeysetTable = {
  [T in keyof DB]: DB[T] extends { created_at: unknown; id: string } ? T : never;
}[keyof DB];

/**
 * A page of `table`'s rows ordered by (created_at desc, id desc), starting after the cursor:
 * `.$call(keysetPage(page, "websites"))`. Fetches one row more than asked to know whether a next
 * page exists; `toPage` cuts it off.
 */
export const keysetPage =
  (page: PageRequest, table: KeysetTable) =>
  <TB extends keyof DB, O>(qb: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> => {
    const createdAt = sql.ref(`${table}.created_at`);
    const id = sql.ref(`${table}.id`);
    const after = page.cursor === null ? null : decodeCursor(page.cursor);
    const from =
      after === null
        ? qb
        : qb.where(sql<boolean>`(${createdAt}, ${id}) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
    return from
      .orderBy(createdAt, "desc")
      .orderBy(id, "desc")
      .limit(page.limit + 1);
  };

/** Cuts the extra row off and turns the last row into the next cursor. */
export const toPage = <R extends { readonly createdAt: Date; readonly id: string }, T>(
  rows: ReadonlyArray<R>,
  page: PageRequest,
  map: (row: R) => T,
): Page<T> => {
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(map),
    nextCursor:
      rows.length > page.limit && last !== undefined ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
};

/** Where a typed page starts: the position of the previous page's last row; null on the first page. */
export const pageAfter = (page: PageRequest): CursorPosition | null =>
  page.cursor === null ? null : decodeCursor(page.cursor);

/** Keyset cursors: the (createdAt, id) of the last row of a page, opaque to callers. */
export interface CursorPosition {
  readonly createdAt: Date;
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const encodeCursor = (p: CursorPosition): string =>
  Buffer.from(`${p.createdAt.toISOString()}|${p.id}`, "utf8").toString("base64url");

export const decodeCursor = (cursor: string): CursorPosition | null => {
  const [iso, id, ...rest] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (iso === undefined || id === undefined || rest.length > 0 || !UUID.test(id)) return null;
  const createdAt = new Date(iso);
  return Number.isNaN(createdAt.getTime()) ? null : { createdAt, id };
};

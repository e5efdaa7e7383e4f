import { EventLog, type EventRecord } from "@admit/domain";
import { Effect, Layer } from "effect";
import { type Selectable, sql } from "kysely";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { type DB, makeRun, texts } from "../kysely.ts";
import { Database } from "../sql.ts";
import { EVENT_INSERT_COLUMNS, EVENT_VALUES, eventRecordset, eventRecordsetRows } from "./eventRows.ts";

/** The columns of an `EventRow`: those a change writes, and when it was recorded. */
export const EVENT_ROW_COLUMNS = [...EVENT_INSERT_COLUMNS, "occurred_at"] as const;

/** An `events` row as the log reads it. */
export type EventRow = Pick<Selectable<DB["events"]>, (typeof EVENT_ROW_COLUMNS)[number]>;

export const eventRecord = (r: EventRow): EventRecord => ({
  id: r.id,
  type: r.type,
  organizationId: r.organization_id,
  actor: { kind: r.actor_kind, id: r.actor_id },
  subject: { type: r.subject_type, id: r.subject_id },
  data: typeof r.data === "string" ? JSON.parse(r.data) : (r.data ?? {}),
  occurredAt: r.occurred_at,
});

export const EventLogPostgres = Layer.effect(
  EventLog,
  Effect.gen(function* () {
    const { orm } = yield* Database;
    const run = makeRun(orm);
    return EventLog.of({
      // Every event of a change in one statement, whatever their number.
      append: (events) =>
        events.length === 0
          ? Effect.void
          : run((db) =>
              db
                .insertInto("events")
                .columns(EVENT_INSERT_COLUMNS)
                .expression(
                  sql`select ${EVENT_VALUES} from ${eventRecordsetRows(eventRecordset(events.map((event) => ({ event }))))}`,
                )
                .execute(),
            ).pipe(Effect.asVoid),
      list: (filter, page) => {
        const after = page.cursor === null ? null : decodeCursor(page.cursor);
        return run((db) => {
          let q = db.selectFrom("events").select(EVENT_ROW_COLUMNS);
          if (filter.organizationId !== undefined) q = q.where("organization_id", "=", filter.organizationId);
          if (filter.types !== undefined) q = q.where((eb) => eb("type", "=", eb.fn.any(texts(filter.types ?? []))));
          if (filter.since !== undefined) q = q.where("occurred_at", ">=", filter.since);
          if (filter.until !== undefined) q = q.where("occurred_at", "<", filter.until);
          if (after !== null)
            q = q.where((eb) => eb(eb.refTuple("occurred_at", "id"), "<", eb.tuple(after.createdAt, after.id)));
          return q
            .orderBy("occurred_at", "desc")
            .orderBy("id", "desc")
            .limit(page.limit + 1)
            .execute();
        }).pipe(
          Effect.map((rows) => {
            const items = rows.slice(0, page.limit).map(eventRecord);
            const last = items.at(-1);
            return {
              items,
              nextCursor:
                rows.length > page.limit && last !== undefined
                  ? encodeCursor({ createdAt: last.occurredAt, id: last.id })
                  : null,
            };
          }),
        );
      },
    });
  }),
);

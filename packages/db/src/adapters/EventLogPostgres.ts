import { type ActorKind, EventLog, type EventRecord, type EventType } from "@admit/domain";
import { Effect, Layer } from "effect";
import { sql } from "kysely";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { makeRun } from "../kysely.ts";
import { Database, date, makeQuery, pgArray, type Row } from "../sql.ts";
import { EVENT_INSERT_COLUMNS, EVENT_VALUES, eventRecordset, eventRecordsetRows } from "./eventRows.ts";

export const EVENT_COLUMNS = `id, type, organization_id as "organizationId", actor_kind as "actorKind", actor_id as "actorId",
  subject_type as "subjectType", subject_id as "subjectId", data, occurred_at as "occurredAt"`;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export const eventRecord = (r: Row): EventRecord => ({
  id: String(r.id),
  type: String(r.type) as EventType,
  organizationId: str(r.organizationId),
  actor: { kind: String(r.actorKind) as ActorKind, id: str(r.actorId) },
  subject: { type: String(r.subjectType), id: String(r.subjectId) },
  data: typeof r.data === "string" ? JSON.parse(r.data) : ((r.data ?? {}) as Record<string, unknown>),
  occurredAt: date(r.occurredAt),
});

export const EventLogPostgres = Layer.effect(
  EventLog,
  Effect.gen(function* () {
    const { orm } = yield* Database;
    const query = makeQuery(orm);
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
        const where: string[] = [];
        const params: unknown[] = [];
        if (filter.organizationId !== undefined) {
          where.push("organization_id = ?::uuid");
          params.push(filter.organizationId);
        }
        if (filter.types !== undefined) {
          where.push("type = any(?::text[])");
          params.push(pgArray(filter.types));
        }
        if (filter.since !== undefined) {
          where.push("occurred_at >= ?::timestamptz");
          params.push(filter.since.toISOString());
        }
        if (filter.until !== undefined) {
          where.push("occurred_at < ?::timestamptz");
          params.push(filter.until.toISOString());
        }
        if (after !== null) {
          where.push("(occurred_at, id) < (?::timestamptz, ?::uuid)");
          params.push(after.createdAt.toISOString(), after.id);
        }
        return query(
          `select ${EVENT_COLUMNS} from events ${where.length > 0 ? `where ${where.join(" and ")}` : ""}
           order by occurred_at desc, id desc limit ${page.limit + 1}`,
          params,
        ).pipe(
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

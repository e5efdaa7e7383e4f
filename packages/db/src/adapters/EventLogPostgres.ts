import { type ActorKind, EventLog, type EventRecord, type EventType } from "@admit/domain";
import { Effect, Layer } from "effect";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { Database, date, makeQuery, pgArray, type Row } from "../sql.ts";
import { uuidv7 } from "./ids.ts";

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
    const query = makeQuery((yield* Database).orm);
    return EventLog.of({
      // Every event of a change in one statement, whatever their number.
      append: (events) =>
        events.length === 0
          ? Effect.void
          : query(
              `insert into events (id, type, organization_id, actor_kind, actor_id, subject_type, subject_id, data)
               select id, type, organization_id, actor_kind, actor_id, subject_type, subject_id, data
               from jsonb_to_recordset(?::jsonb) as e(id uuid, type text, organization_id uuid, actor_kind text,
                 actor_id uuid, subject_type text, subject_id uuid, data jsonb)`,
              [
                JSON.stringify(
                  events.map((e) => ({
                    id: uuidv7(),
                    type: e.type,
                    organization_id: e.organizationId,
                    actor_kind: e.actor.kind,
                    actor_id: e.actor.id,
                    subject_type: e.subject.type,
                    subject_id: e.subject.id,
                    data: e.data,
                  })),
                ),
              ],
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

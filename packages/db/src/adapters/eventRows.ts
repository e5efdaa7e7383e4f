import type { PlannedEvent } from "@admit/domain";
import { type RawBuilder, sql } from "kysely";
import { uuidv7 } from "./ids.ts";

/**
 * The events of a change as one `jsonb` parameter, whatever their number, read back as rows by
 * `eventRecordsetRows`; each gets its id here (UUIDv7, so the log's index grows at its end). An
 * event with `whenAdded` carries that membership as `added_type`/`added_id`, for the statement to
 * write it only if it added that membership.
 */
export const eventRecordset = (rows: ReadonlyArray<PlannedEvent>): string =>
  JSON.stringify(
    rows.map(({ event: e, whenAdded }) => ({
      id: uuidv7(),
      type: e.type,
      organization_id: e.organizationId,
      actor_kind: e.actor.kind,
      actor_id: e.actor.id,
      subject_type: e.subject.type,
      subject_id: e.subject.id,
      data: e.data,
      added_type: whenAdded?.type ?? null,
      added_id: whenAdded?.id ?? null,
    })),
  );

/** The rows of an `eventRecordset` parameter, as `e`. */
export const eventRecordsetRows = (recordset: string): RawBuilder<unknown> =>
  sql`jsonb_to_recordset(${recordset}::jsonb) as e(id uuid, type text, organization_id uuid, actor_kind text,
    actor_id uuid, subject_type text, subject_id uuid, data jsonb, added_type text, added_id uuid)`;

/** The columns of `events` a change writes, in the order `EVENT_VALUES` selects them. */
export const EVENT_INSERT_COLUMNS = [
  "id",
  "type",
  "organization_id",
  "actor_kind",
  "actor_id",
  "subject_type",
  "subject_id",
  "data",
] as const;

/** `EVENT_INSERT_COLUMNS` read from the recordset `e`. */
export const EVENT_VALUES = sql.raw(EVENT_INSERT_COLUMNS.map((column) => `e.${column}`).join(", "));

import type { ActorKind, EventType } from "@admit/domain";
import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { oneOf } from "./columns.ts";

/**
 * The event log: append-only, no foreign keys (it outlives what it talks about). A statement-level
 * trigger (`events_notify`) wakes the workers' fan-out.
 */
export const Event = defineEntity({
  name: "Event",
  tableName: "events",
  properties: {
    id: p.uuid().primary(),
    // Written only from the domain's events (`EventType`); a check holds `actor_kind` to the kinds.
    type: p.text().$type<EventType>(),
    organizationId: p.uuid().nullable(),
    actorKind: p.text().$type<ActorKind>(),
    actorId: p.uuid().nullable(),
    subjectType: p.text(),
    subjectId: p.uuid(),
    data: p.json<Record<string, unknown>>().columnType("jsonb").defaultRaw("'{}'"),
    occurredAt: p.datetime(3).defaultRaw("now()"),
    dispatchedAt: p.datetime(3).nullable(),
  },
  triggers: [
    {
      name: "events_notify",
      timing: "after",
      events: ["insert"],
      forEach: "statement",
      body: "perform pg_notify('admit_events', ''); return null;",
    },
  ],
  checks: [oneOf("events_actor_kind_check", "actor_kind", ["api_key", "root", "user", "invitee", "system"])],
  indexes: [
    { name: "events_keyset", expression: 'create index "events_keyset" on "events" ("occurred_at" desc, "id" desc)' },
    {
      name: "events_organization_keyset",
      expression:
        'create index "events_organization_keyset" on "events" ("organization_id", "occurred_at" desc, "id" desc)',
    },
    {
      name: "events_undispatched",
      expression: 'create index "events_undispatched" on "events" ("occurred_at", "id") where (dispatched_at is null)',
    },
  ],
});
export type Event = InferEntity<typeof Event>;

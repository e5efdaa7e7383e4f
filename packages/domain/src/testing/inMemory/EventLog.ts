import { Effect, Layer } from "effect";
import type { EventRecord, NewEvent } from "../../events/Event.ts";
import { EventLog } from "../../events/EventLog.ts";
import { paginateNewestFirst, read, Store, type StoreState, write } from "./Store.ts";

/**
 * The store with `events` appended, as the log writes them. Event ids count up in their own range
 * (`e0000000-…`), so they never shift the ids of other rows. Shared with the adapters that write
 * events together with their change.
 */
export const withEvents = (s: StoreState, events: ReadonlyArray<NewEvent>, at: Date): StoreState => {
  const added = events.map(
    (e, i): EventRecord => ({
      ...e,
      // Stored as JSON (jsonb): a Date comes back as its ISO string, `undefined` not at all.
      data: JSON.parse(JSON.stringify(e.data)),
      id: `e0000000-0000-4000-8000-${(s.events.length + i + 1).toString(16).padStart(12, "0")}`,
      occurredAt: at,
    }),
  );
  return { ...s, events: [...s.events, ...added] };
};

export const EventLogTest = Layer.effect(
  EventLog,
  Effect.gen(function* () {
    const store = yield* Store;
    const r = read(store);
    const w = write(store);
    return EventLog.of({
      append: (events) => w("EventLog.append", (s, at) => [undefined, withEvents(s, events, at)]),
      list: (filter, page) =>
        r("EventLog.list", (s) => {
          const matching = s.events
            .filter(
              (e) =>
                (filter.organizationId === undefined || e.organizationId === filter.organizationId) &&
                (filter.types === undefined || filter.types.includes(e.type)) &&
                (filter.since === undefined || e.occurredAt.getTime() >= filter.since.getTime()) &&
                (filter.until === undefined || e.occurredAt.getTime() < filter.until.getTime()),
            )
            .map((event) => ({ id: event.id, createdAt: event.occurredAt, event }));
          const found = paginateNewestFirst(matching, page);
          return { items: found.items.map((i) => i.event), nextCursor: found.nextCursor };
        }),
    });
  }),
);

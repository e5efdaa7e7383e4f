import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";
import type { Page, PageRequest } from "../members/MembershipRepository.ts";
import type { EventRecord, EventType, NewEvent } from "./Event.ts";

export interface EventFilter {
  /** One organization's events; `undefined` for every event (a global key). */
  readonly organizationId?: string | undefined;
  readonly types?: ReadonlyArray<EventType> | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
}

/**
 * The append-only record of every change. `append` joins the caller's transaction, so an event
 * exists exactly when its change commits; many events are written by one statement.
 */
export class EventLog extends Context.Service<
  EventLog,
  {
    append(events: ReadonlyArray<NewEvent>): Effect.Effect<void, RepositoryError>;
    /** Newest first, by (occurredAt, id). */
    list(filter: EventFilter, page: PageRequest): Effect.Effect<Page<EventRecord>, RepositoryError>;
  }
>()("@admit/domain/EventLog") {}

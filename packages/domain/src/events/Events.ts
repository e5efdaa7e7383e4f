import { Effect } from "effect";
import type { Principal } from "../access/Principal.ts";
import { InvalidInput, NotFound } from "../errors/Errors.ts";
import type { PageRequest } from "../members/MembershipRepository.ts";
import type { EventType, NewEvent } from "./Event.ts";
import { type EventFilter, EventLog } from "./EventLog.ts";

/** Records events in the current transaction; nothing at all for none. */
export const emit = Effect.fn("Events.emit")(function* (events: ReadonlyArray<NewEvent>) {
  if (events.length === 0) return;
  yield* (yield* EventLog).append(events);
});

export interface ListAuditInput extends PageRequest {
  readonly organizationId?: string | undefined;
  readonly types?: ReadonlyArray<EventType> | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
}

/**
 * `audit.list`: an organization key reads its organization's events, a global key every event.
 * Another organization answers exactly like one that does not exist.
 */
export const listAudit = Effect.fn("Audit.list")(function* (principal: Principal, input: ListAuditInput) {
  if (input.since !== undefined && input.until !== undefined && input.since.getTime() > input.until.getTime()) {
    return yield* new InvalidInput({ message: "Invalid input", fieldErrors: { since: ["Must not be after until"] } });
  }
  const filter: { -readonly [K in keyof EventFilter]: EventFilter[K] } = {
    organizationId: input.organizationId,
    types: input.types !== undefined && input.types.length > 0 ? input.types : undefined,
    since: input.since,
    until: input.until,
  };
  if (principal.kind === "organization") {
    if (input.organizationId !== undefined && input.organizationId !== principal.organizationId) {
      return yield* new NotFound({ reason: "organization_not_found" });
    }
    filter.organizationId = principal.organizationId;
  } else if (principal.kind === "user") {
    return yield* new NotFound({ reason: "organization_not_found" });
  }
  return yield* (yield* EventLog).list(filter, input);
});

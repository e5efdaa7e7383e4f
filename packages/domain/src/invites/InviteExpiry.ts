import { Clock, Effect } from "effect";
import { inviteEvent, SYSTEM_ACTOR } from "../events/Event.ts";
import { emit } from "../events/Events.ts";
import { Transactor } from "../shared/Transactor.ts";
import { ExpiredInvites } from "./ExpiredInvites.ts";

/**
 * Records `invite.expired` once for each pending invite past its expiry, `batch` at a time; run
 * by a scheduled job. Answers how many it recorded, so the caller can run it again while full.
 */
export const expireInvites = Effect.fn("Invites.expire")(function* (batch = 500) {
  const expired = yield* ExpiredInvites;
  const now = yield* Clock.currentTimeMillis;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const invites = yield* expired.claim(new Date(now), batch);
      yield* emit(
        invites.map((i) => inviteEvent("invite.expired", SYSTEM_ACTOR, i, { expiresAt: i.expiresAt.toISOString() })),
      );
      return invites.length;
    }),
  );
});

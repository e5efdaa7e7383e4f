import { Effect, Layer } from "effect";
import { ExpiredInvites } from "../../invites/ExpiredInvites.ts";
import { inviteRecord, Store, write } from "./Store.ts";

export const ExpiredInvitesTest = Layer.effect(
  ExpiredInvites,
  Effect.gen(function* () {
    const w = write(yield* Store);
    return ExpiredInvites.of({
      claim: (at, limit) =>
        w("ExpiredInvites.claim", (s) => {
          const key = (i: { id: string; expiresAt: Date }) => `${i.id}@${i.expiresAt.getTime()}`;
          // The earliest expiries first, as the sweep's SQL takes them.
          const due = s.invites
            .filter(
              (i) =>
                i.status === "pending" && i.expiresAt.getTime() <= at.getTime() && !s.expiryRecorded.includes(key(i)),
            )
            .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
            .slice(0, limit);
          return [due.map((i) => inviteRecord(s, i)), { ...s, expiryRecorded: [...s.expiryRecorded, ...due.map(key)] }];
        }),
    });
  }),
);

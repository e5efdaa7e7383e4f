import { ExpiredInvites } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, makeQuery } from "../sql.ts";
import { record, SELECT } from "./InviteRepositoryPostgres.ts";

export const ExpiredInvitesPostgres = Layer.effect(
  ExpiredInvites,
  Effect.gen(function* () {
    const query = makeQuery((yield* Database).orm);
    return ExpiredInvites.of({
      // Rows another sweep holds are skipped, so concurrent workers never record one expiry twice.
      claim: (now, limit) =>
        query(
          `with due as (
             select id from invites
             where status = 'pending' and expiry_recorded_for is distinct from expires_at and expires_at <= ?::timestamptz
             order by expires_at limit ? for update skip locked
           ), marked as (
             update invites i set expiry_recorded_for = i.expires_at from due where i.id = due.id returning i.id
           )
           ${SELECT} where i.id in (select id from marked) order by i.expires_at, i.id`,
          [now.toISOString(), limit],
        ).pipe(Effect.map((rows) => rows.map(record))),
    });
  }),
);

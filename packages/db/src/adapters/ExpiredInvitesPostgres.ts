import { ExpiredInvites } from "@admit/domain";
import { Effect, Layer } from "effect";
import { makeRun } from "../kysely.ts";
import { Database } from "../sql.ts";
import { INVITE_COLUMNS, inviteRecord } from "./InviteRepositoryPostgres.ts";

export const ExpiredInvitesPostgres = Layer.effect(
  ExpiredInvites,
  Effect.gen(function* () {
    const run = makeRun((yield* Database).orm);
    return ExpiredInvites.of({
      // Rows another sweep holds are skipped, so concurrent workers never record one expiry twice.
      claim: (now, limit) =>
        run((db) =>
          db
            .with("due", (db) =>
              db
                .selectFrom("invites")
                .select("id")
                .where("status", "=", "pending")
                .whereRef("expiry_recorded_for", "is distinct from", "expires_at")
                .where("expires_at", "<=", now)
                .orderBy("expires_at")
                .limit(limit)
                .forUpdate()
                .skipLocked(),
            )
            .with("marked", (db) =>
              db
                .updateTable("invites as i")
                .from("due")
                .set((eb) => ({ expiry_recorded_for: eb.ref("i.expires_at") }))
                .whereRef("i.id", "=", "due.id")
                .returning("i.id"),
            )
            .selectFrom("invites as i")
            .innerJoin("deliveries as d", "d.id", "i.delivery_id")
            .select(INVITE_COLUMNS)
            .where("i.id", "in", (eb) => eb.selectFrom("marked").select("marked.id"))
            .orderBy("i.expires_at")
            .orderBy("i.id")
            .execute(),
        ).pipe(Effect.map((rows) => rows.map(inviteRecord))),
    });
  }),
);

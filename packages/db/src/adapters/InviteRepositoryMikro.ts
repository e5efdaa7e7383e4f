import { InviteRepository } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, makeQuery, pgArray } from "../sql.ts";

export const InviteRepositoryMikro = Layer.effect(
  InviteRepository,
  Effect.gen(function* () {
    const query = makeQuery((yield* Database).orm);
    return InviteRepository.of({
      upsertPending: (invites) => {
        const col = <T extends string | Date | null>(f: (i: (typeof invites)[number]) => T) => pgArray(invites.map(f));
        return query(
          `insert into invites (id, email, target_type, target_id, organization_id, role, delivery_id,
                                inviter_kind, inviter_id, first_name, last_name, expires_at)
           select * from unnest(?::uuid[], ?::text[], ?::text[], ?::uuid[], ?::uuid[], ?::text[], ?::uuid[],
                                ?::text[], ?::uuid[], ?::text[], ?::text[], ?::timestamptz[])
           on conflict (target_type, target_id, email) where status = 'pending' do update set
             role = excluded.role, delivery_id = excluded.delivery_id, inviter_kind = excluded.inviter_kind,
             inviter_id = excluded.inviter_id, first_name = excluded.first_name, last_name = excluded.last_name,
             expires_at = excluded.expires_at, updated_at = now()
           returning id, target_type as "targetType", target_id as "targetId"`,
          [
            col((i) => i.id),
            col((i) => i.email),
            col((i) => i.target.type),
            col((i) => i.target.id),
            col((i) => i.target.organizationId),
            col((i) => i.role),
            col((i) => i.deliveryId),
            col((i) => i.inviter.kind),
            col((i) => i.inviter.id),
            col((i) => i.firstName),
            col((i) => i.lastName),
            col((i) => i.expiresAt),
          ],
        ).pipe(
          Effect.map((rows) => {
            const ids = new Map(rows.map((r) => [`${r.targetType}:${r.targetId}`, String(r.id)]));
            return invites.map((i) => ids.get(`${i.target.type}:${i.target.id}`) ?? i.id);
          }),
        );
      },
    });
  }),
);

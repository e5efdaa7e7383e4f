import { type ResolvedTarget, TargetRepository, type TargetType } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, makeQuery, pgArray } from "../sql.ts";

const idsOf = (targets: ReadonlyArray<{ type: TargetType; id: string }>, type: TargetType) =>
  pgArray(targets.filter((t) => t.type === type).map((t) => t.id));

export const TargetRepositoryMikro = Layer.effect(
  TargetRepository,
  Effect.gen(function* () {
    const query = makeQuery((yield* Database).orm);
    return TargetRepository.of({
      resolve: (targets) =>
        query(
          `select 'organization' as type, id, id as "organizationId" from organizations where id = any(?::uuid[])
           union all select 'website', id, organization_id from websites where id = any(?::uuid[])
           union all select 'group', id, null from groups where id = any(?::uuid[])`,
          [idsOf(targets, "organization"), idsOf(targets, "website"), idsOf(targets, "group")],
        ).pipe(
          Effect.map((rows) =>
            rows.map(
              (r): ResolvedTarget => ({
                type: r.type as TargetType,
                id: String(r.id),
                organizationId: r.organizationId === null ? null : String(r.organizationId),
              }),
            ),
          ),
        ),
    });
  }),
);

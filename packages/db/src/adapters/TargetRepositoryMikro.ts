import { type ResolvedTarget, type TargetDescription, TargetRepository, type TargetType } from "@admit/domain";
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
      describe: (targets) =>
        query(
          `select 'organization' as type, o.id, o.name, o.id as "orgId", o.name as "orgName"
             from organizations o where o.id = any(?::uuid[])
           union all select 'website', w.id, w.name, o.id, o.name
             from websites w join organizations o on o.id = w.organization_id where w.id = any(?::uuid[])
           union all select 'group', g.id, g.name, null, null from groups g where g.id = any(?::uuid[])`,
          [idsOf(targets, "organization"), idsOf(targets, "website"), idsOf(targets, "group")],
        ).pipe(
          Effect.map(
            (rows) =>
              new Map(
                rows.map((r): [string, TargetDescription] => [
                  `${r.type}:${r.id}`,
                  {
                    name: String(r.name),
                    organization: r.orgId === null ? null : { id: String(r.orgId), name: String(r.orgName) },
                  },
                ]),
              ),
          ),
        ),
    });
  }),
);

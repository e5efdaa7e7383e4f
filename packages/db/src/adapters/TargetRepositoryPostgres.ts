import {
  type ResolvedTarget,
  TARGET_TYPES,
  type TargetDescription,
  TargetRepository,
  type TargetType,
} from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, makeQuery, pgArray } from "../sql.ts";
import { ownerColumn, perTargetType } from "./targets.ts";

/** One `uuid[]` parameter per kind of target, in `TARGET_TYPES` order, as `perTargetType` expects. */
const idsByType = (targets: ReadonlyArray<{ type: TargetType; id: string }>) =>
  TARGET_TYPES.map((type) => pgArray(targets.filter((t) => t.type === type).map((t) => t.id)));

const RESOLVE = perTargetType(
  (type, table) =>
    `select '${type}' as type, t.id, ${ownerColumn(type, "t")} as "organizationId" from ${table} t where t.id = any(?::uuid[])`,
);

const DESCRIBE = perTargetType(
  (type, table) =>
    `select '${type}' as type, t.id, t.name, o.id as "orgId", o.name as "orgName" from ${table} t
     left join organizations o on o.id = ${ownerColumn(type, "t")} where t.id = any(?::uuid[])`,
);

export const TargetRepositoryPostgres = Layer.effect(
  TargetRepository,
  Effect.gen(function* () {
    const query = makeQuery((yield* Database).orm);
    return TargetRepository.of({
      resolve: (targets) =>
        query(RESOLVE, idsByType(targets)).pipe(
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
        query(DESCRIBE, idsByType(targets)).pipe(
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

import { type TargetDescription, TargetRepository } from "@admit/domain";
import { Effect, Layer } from "effect";
import { makeRun } from "../kysely.ts";
import { Database } from "../sql.ts";
import { targetsOfEveryType } from "./targets.ts";

export const TargetRepositoryPostgres = Layer.effect(
  TargetRepository,
  Effect.gen(function* () {
    const run = makeRun((yield* Database).orm);
    return TargetRepository.of({
      resolve: (targets) =>
        run((db) =>
          db
            .selectFrom(targetsOfEveryType(db, targets).as("t"))
            .select(["t.type", "t.id", "t.organizationId"])
            .execute(),
        ),
      describe: (targets) =>
        run((db) =>
          db
            .selectFrom(targetsOfEveryType(db, targets).as("t"))
            .leftJoin("organizations as o", "o.id", "t.organizationId")
            .select(["t.type", "t.id", "t.name", "o.id as organizationId", "o.name as organizationName"])
            .execute(),
        ).pipe(
          Effect.map(
            (rows) =>
              new Map(
                rows.map((r): [string, TargetDescription] => [
                  `${r.type}:${r.id}`,
                  {
                    name: r.name,
                    organization:
                      r.organizationId === null || r.organizationName === null
                        ? null
                        : { id: r.organizationId, name: r.organizationName },
                  },
                ]),
              ),
          ),
        ),
    });
  }),
);

import { Effect, Layer } from "effect";
import { type ResolvedTarget, targetKey } from "../../targets/Target.ts";
import { type TargetDescription, TargetRepository } from "../../targets/TargetRepository.ts";
import { ownerOf, read, rowsOf, Store, uniqueTargets } from "./Store.ts";

export const TargetRepositoryTest = Layer.effect(
  TargetRepository,
  Effect.gen(function* () {
    const r = read(yield* Store);
    return TargetRepository.of({
      resolve: (targets) =>
        r("TargetRepository.resolve", (s) =>
          uniqueTargets(targets).flatMap((t): ReadonlyArray<ResolvedTarget> => {
            const organizationId = ownerOf(s, t);
            return organizationId === undefined ? [] : [{ ...t, organizationId }];
          }),
        ),
      describe: (targets) =>
        r("TargetRepository.describe", (s) => {
          const organization = (id: string | null | undefined) => {
            const org = s.organizations.find((o) => o.id === id);
            return org ? { id: org.id, name: org.name } : null;
          };
          const described = new Map<string, TargetDescription>();
          for (const t of uniqueTargets(targets)) {
            const row = rowsOf(s, t.type).find((x) => x.id === t.id);
            if (row !== undefined)
              described.set(targetKey(t), { name: row.name, organization: organization(ownerOf(s, t)) });
          }
          return described as ReadonlyMap<string, TargetDescription>;
        }),
    });
  }),
);

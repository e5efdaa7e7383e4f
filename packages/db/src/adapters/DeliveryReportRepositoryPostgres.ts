import { DeliveryReportRepository } from "@admit/domain";
import { Effect, Layer } from "effect";
import { makeRun } from "../kysely.ts";
import { Database } from "../sql.ts";

export const DeliveryReportRepositoryPostgres = Layer.effect(
  DeliveryReportRepository,
  Effect.gen(function* () {
    const run = makeRun((yield* Database).orm);
    return DeliveryReportRepository.of({
      // The unique index on provider_message_id finds it; the lock serializes concurrent reports.
      findByMessageId: (messageId) =>
        run((db) =>
          db
            .selectFrom("deliveries as d")
            .select((eb) => [
              "d.id",
              "d.email",
              "d.kind",
              "d.status",
              "d.bounce_permanent as bouncePermanent",
              eb
                .selectFrom("invites")
                .select((eb) => eb.fn.jsonAgg("invites.organization_id").distinct().as("ids"))
                .whereRef("invites.delivery_id", "=", "d.id")
                .as("organizationIds"),
            ])
            .where("d.provider_message_id", "=", messageId)
            .forUpdate()
            .executeTakeFirst(),
        ).pipe(
          Effect.map((row) =>
            row
              ? {
                  id: row.id,
                  email: row.email,
                  kind: row.kind,
                  organizationIds: row.organizationIds ?? [],
                  status: row.status,
                  bouncePermanent: row.bouncePermanent,
                }
              : null,
          ),
        ),
      // A state without a bounce (a complaint) keeps the bounce already recorded.
      record: (deliveryId, state) =>
        run((db) =>
          db
            .updateTable("deliveries")
            .set((eb) => ({
              status: state.status,
              reported_at: state.at,
              bounce_type: eb.fn.coalesce(eb.val(state.bounce?.type.slice(0, 100) ?? null), "bounce_type"),
              bounce_description: eb.fn.coalesce(
                eb.val(state.bounce?.description.slice(0, 1000) ?? null),
                "bounce_description",
              ),
              bounce_permanent: eb.fn.coalesce(eb.val(state.bounce?.permanent ?? null), "bounce_permanent"),
            }))
            .where("id", "=", deliveryId)
            .execute(),
        ).pipe(Effect.asVoid),
    });
  }),
);

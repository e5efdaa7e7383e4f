import {
  type ClaimedDelivery,
  DeliveryOutbox,
  type DeliveryRecord,
  type InvitedTarget,
  RepositoryError,
  TARGET_TYPES,
  TARGETS,
  type TargetType,
} from "@admit/domain";
import { Effect, Layer } from "effect";
import { type Expression, type InferResult, type SqlBool, sql } from "kysely";
import { makeRun, type Sql, uuids } from "../kysely.ts";
import { Database } from "../sql.ts";
import { TARGET_TABLES } from "./targets.ts";

/** The kinds of target that belong to no organization: their emails show no organization name. */
const UNOWNED: ReadonlyArray<TargetType> = TARGET_TYPES.filter((t) => TARGETS[t].owner === "none");

/**
 * Where the name of an invite's target is read: one left join per kind of target (`t_<kind>`).
 * Typed over every `TargetType`, so a new kind fails the type check here until it is joined.
 */
const TARGET_NAMES = {
  organization: "t_organization.name",
  website: "t_website.name",
  group: "t_group.name",
} as const satisfies Record<TargetType, `t_${TargetType}.name`>;

// Pending, unexpired invites of some deliveries with the names an email shows. Unowned kinds
// (groups) show no organization; otherwise it is the invite's organization.
const targetsOf = (db: Sql, deliveryIds: ReadonlyArray<string>) =>
  db
    .selectFrom("invites as i")
    .leftJoin(`${TARGET_TABLES.organization} as t_organization`, (j) =>
      j.on("i.target_type", "=", "organization").onRef("t_organization.id", "=", "i.target_id"),
    )
    .leftJoin(`${TARGET_TABLES.website} as t_website`, (j) =>
      j.on("i.target_type", "=", "website").onRef("t_website.id", "=", "i.target_id"),
    )
    .leftJoin(`${TARGET_TABLES.group} as t_group`, (j) =>
      j.on("i.target_type", "=", "group").onRef("t_group.id", "=", "i.target_id"),
    )
    .leftJoin("organizations as io", "io.id", "i.organization_id")
    .select((eb) => [
      "i.delivery_id as deliveryId",
      "i.target_type as type",
      "i.target_id as id",
      "i.role",
      "i.expires_at as expiresAt",
      sql<string | null>`coalesce(${sql.join(TARGET_TYPES.map((t) => eb.ref(TARGET_NAMES[t])))})`.as("name"),
      (UNOWNED.length === 0
        ? eb.ref("io.name")
        : eb.case().when("i.target_type", "in", UNOWNED).then(null).else(eb.ref("io.name")).end()
      ).as("organizationName"),
    ])
    .where((eb) => eb("i.delivery_id", "=", eb.fn.any(uuids(deliveryIds))))
    .where("i.status", "=", "pending")
    .where("i.expires_at", ">", sql<Date>`now()`)
    .orderBy("i.target_type")
    .orderBy("name")
    .orderBy("i.id");

/** The first of the values, in the order given, among the rows the filter keeps (null if none). */
const firstOf = <T>(value: Expression<T>, order: Expression<unknown>, filter: Expression<SqlBool>) =>
  sql<T | null>`(array_agg(${value} order by ${order}) filter (where ${filter}))[1]`;

// Who the email is to and on whose behalf: the recipient's first name, the invite's language (else
// its organization's), and the branding of the organization the invites belong to.
const aboutOf = (db: Sql, deliveryIds: ReadonlyArray<string>) =>
  db
    .selectFrom("invites as i")
    .leftJoin("organizations as o", "o.id", "i.organization_id")
    .select((eb) => {
      const created = eb.ref("i.created_at");
      const hasOrganization = eb("o.id", "is not", null);
      return [
        "i.delivery_id as deliveryId",
        firstOf(eb.ref("i.first_name"), created, eb("i.first_name", "is not", null)).as("firstName"),
        eb.fn
          .coalesce(
            firstOf(eb.ref("i.locale"), created, eb("i.locale", "is not", null)),
            firstOf(eb.ref("o.locale"), created, eb("o.locale", "is not", null)),
          )
          .as("locale"),
        firstOf(eb.fn.coalesce("o.display_name", "o.name"), created, hasOrganization).as("brandName"),
        firstOf(eb.ref("o.logo_url"), created, hasOrganization).as("logoUrl"),
        firstOf(eb.ref("o.primary_color"), created, hasOrganization).as("primaryColor"),
        firstOf(eb.ref("o.support_email"), created, hasOrganization).as("supportEmail"),
      ];
    })
    .where((eb) => eb("i.delivery_id", "=", eb.fn.any(uuids(deliveryIds))))
    .where("i.status", "=", "pending")
    .groupBy("i.delivery_id");

type About = InferResult<ReturnType<typeof aboutOf>>[number];

/** The state a record leaves a still-queued delivery in, per `DeliveryRecord` tag. */
interface RecordRow {
  readonly id: string;
  readonly tag: DeliveryRecord["_tag"];
  readonly message_id: string | null;
  readonly reason: string | null;
}

export const DeliveryOutboxPostgres = Layer.effect(
  DeliveryOutbox,
  Effect.gen(function* () {
    const { orm, sealer } = yield* Database;
    const run = makeRun(orm);
    return DeliveryOutbox.of({
      // Rows are locked in id order, so two workers claiming overlapping batches never deadlock.
      claim: (deliveryIds) =>
        Effect.gen(function* () {
          const claims = new Map<string, ClaimedDelivery>();
          if (deliveryIds.length === 0) return claims;
          const rows = yield* run((db) =>
            db
              .selectFrom("deliveries as d")
              .select((eb) => [
                "d.id",
                "d.email",
                "d.status",
                "d.token_sealed as tokenSealed",
                "d.inviter_name as inviterName",
                "d.kind",
                "d.attempts",
                eb
                  .exists(
                    eb.selectFrom("invites").select(eb.lit(1).as("one")).whereRef("invites.delivery_id", "=", "d.id"),
                  )
                  .as("referenced"),
                eb
                  .selectFrom("invites")
                  .select((eb) => eb.fn.jsonAgg("invites.organization_id").distinct().as("ids"))
                  .whereRef("invites.delivery_id", "=", "d.id")
                  .as("organizationIds"),
              ])
              .where((eb) => eb("d.id", "=", eb.fn.any(uuids(deliveryIds))))
              .orderBy("d.id")
              .forUpdate()
              .execute(),
          );
          const queued = rows.filter((r) => r.status === "queued").map((r) => r.id);
          const targets = new Map<string, InvitedTarget[]>();
          const abouts = new Map<string, About>();
          if (queued.length > 0) {
            for (const about of yield* run((db) => aboutOf(db, queued).execute())) abouts.set(about.deliveryId, about);
            for (const t of yield* run((db) => targetsOf(db, queued).execute())) {
              const list = targets.get(t.deliveryId) ?? [];
              list.push({
                type: t.type,
                id: t.id,
                name: t.name ?? "",
                organizationName: t.organizationName,
                role: t.role,
                expiresAt: t.expiresAt,
              });
              targets.set(t.deliveryId, list);
            }
          }
          for (const row of rows) {
            if (row.status !== "queued") {
              // Reported states come after sending: for the worker they are all "sent".
              claims.set(row.id, { _tag: "Settled", status: row.status === "failed" ? "failed" : "sent" });
              continue;
            }
            // A token that does not open means the worker's TOKEN_ENCRYPTION_KEY is not the API's: a
            // configuration error to retry after, never a reason to drop the email.
            const sealed = row.tokenSealed;
            const token =
              sealed === null
                ? null
                : yield* Effect.try({
                    try: () => sealer.open(sealed),
                    catch: (cause) =>
                      new RepositoryError({
                        cause: new Error("a sealed token did not open: is TOKEN_ENCRYPTION_KEY the API's?", { cause }),
                      }),
                  });
            const about = abouts.get(row.id);
            claims.set(row.id, {
              _tag: "Queued",
              delivery: {
                id: row.id,
                email: row.email,
                token,
                inviterName: row.inviterName ?? "",
                kind: row.kind,
                attempts: row.attempts,
                referenced: row.referenced === true,
                firstName: about?.firstName ?? null,
                locale: about?.locale ?? null,
                brand:
                  about?.brandName == null
                    ? null
                    : {
                        name: about.brandName,
                        logoUrl: about.logoUrl,
                        primaryColor: about.primaryColor,
                        supportEmail: about.supportEmail,
                      },
                organizationIds: row.organizationIds ?? [],
                targets: targets.get(row.id) ?? [],
              },
            });
          }
          for (const id of deliveryIds) if (!claims.has(id)) claims.set(id, { _tag: "Missing" });
          return claims;
        }),
      // One statement for the whole batch: each row's new state comes from its record.
      record: (records) =>
        records.length === 0
          ? Effect.void
          : run((db) =>
              db
                .updateTable("deliveries as d")
                .from(
                  sql<RecordRow>`unnest(${uuids(records.map((r) => r.id))}, ${records.map((r) => r._tag)}::text[],
                    ${records.map((r) => (r._tag === "Sent" ? r.messageId : null))}::text[],
                    ${records.map((r) => (r._tag === "Sent" ? null : r.reason.slice(0, 1000)))}::text[])`.as<"r">(
                    sql`r(id, tag, message_id, reason)`,
                  ),
                )
                .set((eb) => ({
                  status: eb
                    .case("r.tag")
                    .when("Sent")
                    .then("sent" as const)
                    .when("Failed")
                    .then("failed" as const)
                    .else(eb.ref("d.status"))
                    .end(),
                  sent_at: eb.case().when("r.tag", "=", "Sent").then(sql<Date>`now()`).else(eb.ref("d.sent_at")).end(),
                  provider_message_id: eb
                    .case()
                    .when("r.tag", "=", "Sent")
                    .then(eb.ref("r.message_id"))
                    .else(eb.ref("d.provider_message_id"))
                    .end(),
                  token_sealed: eb
                    .case()
                    .when("r.tag", "=", "Attempted")
                    .then(eb.ref("d.token_sealed"))
                    .else(null)
                    .end(),
                  attempts: eb("d.attempts", "+", 1),
                  last_error: eb.case().when("r.tag", "=", "Sent").then(null).else(eb.ref("r.reason")).end(),
                }))
                .whereRef("d.id", "=", "r.id")
                .where("d.status", "=", "queued")
                .execute(),
            ).pipe(Effect.asVoid),
      giveUp: (deliveryId) =>
        run((db) =>
          db
            .updateTable("deliveries")
            .set((eb) => ({
              status: "failed",
              token_sealed: null,
              last_error: sql<string>`'retries_exhausted: ' || coalesce(${eb.ref("last_error")}, 'the worker could not process it (see its log)')`,
            }))
            .where("id", "=", deliveryId)
            .where("status", "=", "queued")
            .returning("id")
            .execute(),
        ).pipe(Effect.map((rows) => rows.length > 0)),
    });
  }),
);

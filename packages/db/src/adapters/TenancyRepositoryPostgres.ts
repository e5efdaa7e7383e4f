import { TenancyRepository } from "@admit/domain";
import { Effect, Layer } from "effect";
import { sql } from "kysely";
import { makeRun, uuids } from "../kysely.ts";
import { Database } from "../sql.ts";
import { keysetPage, toPage } from "./paging.ts";

/** The columns an `OrganizationView` is read from, under its property names. */
const ORGANIZATION_VIEW = [
  "organizations.id",
  "organizations.name",
  "organizations.display_name as displayName",
  "organizations.logo_url as logoUrl",
  "organizations.primary_color as primaryColor",
  "organizations.support_email as supportEmail",
  "organizations.locale",
  "organizations.allowed_redirect_origins as allowedRedirectOrigins",
  "organizations.app_url as appUrl",
  "organizations.email_invites_per_hour as emailInvitesPerHour",
  "organizations.created_at as createdAt",
] as const;
const WEBSITE_VIEW = [
  "websites.id",
  "websites.organization_id as organizationId",
  "websites.name",
  "websites.url",
  "websites.created_at as createdAt",
] as const;
const GROUP_VIEW = ["groups.id", "groups.name", "groups.created_at as createdAt"] as const;

const same = <T>(row: T): T => row;

export const TenancyRepositoryPostgres = Layer.effect(
  TenancyRepository,
  Effect.gen(function* () {
    const run = makeRun((yield* Database).orm);
    const getOrganization = (id: string) =>
      run((db) =>
        db.selectFrom("organizations").select(ORGANIZATION_VIEW).where("id", "=", id).executeTakeFirst(),
      ).pipe(Effect.map((row) => row ?? null));
    return TenancyRepository.of({
      createOrganization: (o) =>
        run((db) =>
          db
            .insertInto("organizations")
            .values({ id: o.id, name: o.name })
            .returning(ORGANIZATION_VIEW)
            .executeTakeFirstOrThrow(),
        ),
      getOrganization,
      getOrganizations: (ids) =>
        ids.length === 0
          ? Effect.succeed([])
          : run((db) =>
              db
                .selectFrom("organizations")
                .select(ORGANIZATION_VIEW)
                .where((eb) => eb("id", "=", eb.fn.any(uuids(ids))))
                .execute(),
            ),
      // Only the settings given are written; undefined ones are left out of the statement.
      updateOrganization: (id, changes) => {
        const set = {
          name: changes.name,
          display_name: changes.displayName,
          logo_url: changes.logoUrl,
          primary_color: changes.primaryColor,
          support_email: changes.supportEmail,
          locale: changes.locale,
          allowed_redirect_origins:
            changes.allowedRedirectOrigins === undefined ? undefined : [...changes.allowedRedirectOrigins],
          app_url: changes.appUrl,
          email_invites_per_hour: changes.emailInvitesPerHour,
        };
        if (Object.values(set).every((value) => value === undefined)) return getOrganization(id);
        return run((db) =>
          db.updateTable("organizations").set(set).where("id", "=", id).returning(ORGANIZATION_VIEW).executeTakeFirst(),
        ).pipe(Effect.map((row) => row ?? null));
      },
      listOrganizations: (page, onlyId) =>
        run((db) =>
          db
            .selectFrom("organizations")
            .select(ORGANIZATION_VIEW)
            .$call((qb) => (onlyId === null ? qb : qb.where("id", "=", onlyId)))
            .$call(keysetPage(page, "organizations"))
            .execute(),
        ).pipe(Effect.map((rows) => toPage(rows, page, same))),
      createWebsite: (s) =>
        run((db) =>
          db
            .insertInto("websites")
            .values({ id: s.id, organization_id: s.organizationId, name: s.name, url: s.url })
            .returning(WEBSITE_VIEW)
            .executeTakeFirstOrThrow(),
        ),
      getWebsite: (id) =>
        run((db) => db.selectFrom("websites").select(WEBSITE_VIEW).where("id", "=", id).executeTakeFirst()).pipe(
          Effect.map((row) => row ?? null),
        ),
      listWebsites: (organizationId, page) =>
        run((db) =>
          db
            .selectFrom("websites")
            .select(WEBSITE_VIEW)
            .where("organization_id", "=", organizationId)
            .$call(keysetPage(page, "websites"))
            .execute(),
        ).pipe(Effect.map((rows) => toPage(rows, page, same))),
      createGroup: (g) =>
        run((db) =>
          db.insertInto("groups").values({ id: g.id, name: g.name }).returning(GROUP_VIEW).executeTakeFirstOrThrow(),
        ),
      getGroup: (id) =>
        run((db) =>
          db
            .selectFrom("groups")
            .leftJoin("group_websites", "group_websites.group_id", "groups.id")
            .select(GROUP_VIEW)
            .select((eb) =>
              eb.fn
                .coalesce(
                  eb.fn
                    .agg<string[]>("array_agg", ["group_websites.website_id"])
                    .orderBy("group_websites.created_at")
                    .orderBy("group_websites.website_id")
                    .filterWhere("group_websites.website_id", "is not", null),
                  sql<string[]>`'{}'`,
                )
                .as("websiteIds"),
            )
            .where("groups.id", "=", id)
            .groupBy("groups.id")
            .executeTakeFirst(),
        ).pipe(Effect.map((row) => row ?? null)),
      listGroups: (page) =>
        run((db) => db.selectFrom("groups").select(GROUP_VIEW).$call(keysetPage(page, "groups")).execute()).pipe(
          Effect.map((rows) => toPage(rows, page, same)),
        ),
      existingWebsites: (ids) =>
        run((db) =>
          db
            .selectFrom("websites")
            .select("id")
            .where((eb) => eb("id", "=", eb.fn.any(uuids(ids))))
            .execute(),
        ).pipe(Effect.map((rows) => rows.map((r) => r.id))),
      addGroupWebsites: (groupId, websiteIds) =>
        run((db) =>
          db
            .insertInto("group_websites")
            .columns(["group_id", "website_id"])
            .expression(sql`select ${groupId}::uuid, unnest(${uuids(websiteIds)})`)
            .onConflict((oc) => oc.doNothing())
            .execute(),
        ).pipe(Effect.asVoid),
      removeGroupWebsites: (groupId, websiteIds) =>
        run((db) =>
          db
            .deleteFrom("group_websites")
            .where("group_id", "=", groupId)
            .where((eb) => eb("website_id", "=", eb.fn.any(uuids(websiteIds))))
            .execute(),
        ).pipe(Effect.asVoid),
    });
  }),
);

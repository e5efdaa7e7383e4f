import { type GroupView, type OrganizationView, TenancyRepository, type WebsiteView } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, date, makeQuery, pgArray, type Row } from "../sql.ts";
import { keyset, toPage } from "./paging.ts";

const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

const organization = (r: Row): OrganizationView => ({
  id: String(r.id),
  name: String(r.name),
  displayName: textOrNull(r.displayName),
  logoUrl: textOrNull(r.logoUrl),
  primaryColor: textOrNull(r.primaryColor),
  supportEmail: textOrNull(r.supportEmail),
  locale: textOrNull(r.locale),
  allowedRedirectOrigins: ((r.allowedRedirectOrigins ?? []) as unknown[]).map(String),
  appUrl: textOrNull(r.appUrl),
  emailInvitesPerHour: r.emailInvitesPerHour === null ? null : Number(r.emailInvitesPerHour),
  createdAt: date(r.createdAt),
});
const website = (r: Row): WebsiteView => ({
  id: String(r.id),
  organizationId: String(r.organizationId),
  name: String(r.name),
  url: r.url === null ? null : String(r.url),
  createdAt: date(r.createdAt),
});
const group = (r: Row): GroupView => ({ id: String(r.id), name: String(r.name), createdAt: date(r.createdAt) });

const ORG = `id, name, display_name as "displayName", logo_url as "logoUrl", primary_color as "primaryColor",
  support_email as "supportEmail", locale, allowed_redirect_origins as "allowedRedirectOrigins", app_url as "appUrl",
  email_invites_per_hour as "emailInvitesPerHour", created_at as "createdAt"`;
const GROUP = `id, name, created_at as "createdAt"`;

/** Settings and their columns, for updates that change only what was given. */
const SETTING_COLUMNS = {
  name: "name = ?",
  displayName: "display_name = ?",
  logoUrl: "logo_url = ?",
  primaryColor: "primary_color = ?",
  supportEmail: "support_email = ?",
  locale: "locale = ?",
  allowedRedirectOrigins: "allowed_redirect_origins = ?::text[]",
  appUrl: "app_url = ?",
  emailInvitesPerHour: "email_invites_per_hour = ?::int",
} as const;
const SITE = `id, organization_id as "organizationId", name, url, created_at as "createdAt"`;

export const TenancyRepositoryPostgres = Layer.effect(
  TenancyRepository,
  Effect.gen(function* () {
    const query = makeQuery((yield* Database).orm);
    const one = <T>(rows: ReadonlyArray<Row>, map: (r: Row) => T): T | null => (rows[0] ? map(rows[0]) : null);
    return TenancyRepository.of({
      createOrganization: (o) =>
        query(`insert into organizations (id, name) values (?, ?) returning ${ORG}`, [o.id, o.name]).pipe(
          Effect.map((rows) => organization(rows[0] as Row)),
        ),
      getOrganization: (id) =>
        query(`select ${ORG} from organizations where id = ?::uuid`, [id]).pipe(
          Effect.map((r) => one(r, organization)),
        ),
      getOrganizations: (ids) =>
        ids.length === 0
          ? Effect.succeed([])
          : query(`select ${ORG} from organizations where id = any(?::uuid[])`, [pgArray(ids)]).pipe(
              Effect.map((rows) => rows.map(organization)),
            ),
      updateOrganization: (id, changes) => {
        const sets: string[] = [];
        const params: unknown[] = [];
        for (const [key, clause] of Object.entries(SETTING_COLUMNS)) {
          const value = changes[key as keyof typeof changes];
          if (value === undefined) continue;
          sets.push(clause);
          params.push(Array.isArray(value) ? pgArray(value) : value);
        }
        if (sets.length === 0) {
          return query(`select ${ORG} from organizations where id = ?::uuid`, [id]).pipe(
            Effect.map((r) => one(r, organization)),
          );
        }
        return query(`update organizations set ${sets.join(", ")} where id = ?::uuid returning ${ORG}`, [
          ...params,
          id,
        ]).pipe(Effect.map((r) => one(r, organization)));
      },
      listOrganizations: (page, onlyId) => {
        const k = keyset(page);
        return query(
          `select ${ORG} from organizations where (?::uuid is null or id = ?::uuid) and ${k.where} ${k.order}`,
          [onlyId, onlyId, ...k.params],
        ).pipe(Effect.map((rows) => toPage(rows, page, organization)));
      },
      createWebsite: (s) =>
        query(`insert into websites (id, organization_id, name, url) values (?, ?, ?, ?) returning ${SITE}`, [
          s.id,
          s.organizationId,
          s.name,
          s.url,
        ]).pipe(Effect.map((rows) => website(rows[0] as Row))),
      getWebsite: (id) =>
        query(`select ${SITE} from websites where id = ?::uuid`, [id]).pipe(Effect.map((r) => one(r, website))),
      listWebsites: (organizationId, page) => {
        const k = keyset(page);
        return query(`select ${SITE} from websites where organization_id = ?::uuid and ${k.where} ${k.order}`, [
          organizationId,
          ...k.params,
        ]).pipe(Effect.map((rows) => toPage(rows, page, website)));
      },
      createGroup: (g) =>
        query(`insert into groups (id, name) values (?, ?) returning ${GROUP}`, [g.id, g.name]).pipe(
          Effect.map((rows) => group(rows[0] as Row)),
        ),
      getGroup: (id) =>
        query(
          `select g.id, g.name, g.created_at as "createdAt",
                  coalesce(array_agg(gw.website_id order by gw.created_at, gw.website_id)
                           filter (where gw.website_id is not null), '{}') as "websiteIds"
           from groups g left join group_websites gw on gw.group_id = g.id
           where g.id = ?::uuid group by g.id`,
          [id],
        ).pipe(
          Effect.map((r) =>
            one(r, (row) => ({ ...group(row), websiteIds: (row.websiteIds as unknown[]).map(String) })),
          ),
        ),
      listGroups: (page) => {
        const k = keyset(page);
        return query(`select ${GROUP} from groups where ${k.where} ${k.order}`, k.params).pipe(
          Effect.map((rows) => toPage(rows, page, group)),
        );
      },
      existingWebsites: (ids) =>
        query("select id from websites where id = any(?::uuid[])", [pgArray(ids)]).pipe(
          Effect.map((rows) => rows.map((r) => String(r.id))),
        ),
      addGroupWebsites: (groupId, websiteIds) =>
        query(
          `insert into group_websites (group_id, website_id) select ?::uuid, unnest(?::uuid[])
           on conflict do nothing`,
          [groupId, pgArray(websiteIds)],
        ).pipe(Effect.asVoid),
      removeGroupWebsites: (groupId, websiteIds) =>
        query("delete from group_websites where group_id = ?::uuid and website_id = any(?::uuid[])", [
          groupId,
          pgArray(websiteIds),
        ]).pipe(Effect.asVoid),
    });
  }),
);

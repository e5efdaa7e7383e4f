import { type GroupView, type OrganizationView, TenancyRepository, type WebsiteView } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, date, makeQuery, pgArray, type Row } from "../sql.ts";
import { keyset, toPage } from "./paging.ts";

const organization = (r: Row): OrganizationView => ({
  id: String(r.id),
  name: String(r.name),
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

const ORG = `id, name, created_at as "createdAt"`;
const SITE = `id, organization_id as "organizationId", name, url, created_at as "createdAt"`;

export const TenancyRepositoryMikro = Layer.effect(
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
        query(`insert into groups (id, name) values (?, ?) returning ${ORG}`, [g.id, g.name]).pipe(
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
        return query(`select ${ORG} from groups where ${k.where} ${k.order}`, k.params).pipe(
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

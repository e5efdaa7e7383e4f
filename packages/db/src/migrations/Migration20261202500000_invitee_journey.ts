import { Migration } from "@mikro-orm/migrations";

/**
 * The invitee's journey: an organization's branding and product settings, where an accepted
 * invite sends the person on to and in which language it speaks, and link codes kept sealed so
 * that managers can read a link's url again.
 */
export class Migration20261202500000_invitee_journey extends Migration {
  override name = "Migration20261202500000_invitee_journey";

  override up(): void {
    this.addSql(`alter table organizations
      add column display_name text,
      add column logo_url text,
      add column primary_color text,
      add column support_email text,
      add column locale text,
      add column allowed_redirect_origins text[] not null default '{}',
      add column app_url text`);
    // The email quota's column is shared with the quota feature, which creates it the same way.
    this.addSql("alter table organizations add column if not exists email_invites_per_hour integer");
    this.addSql("alter table invites add column redirect_url text, add column locale text");
    this.addSql("alter table link_invites add column code_sealed text");
  }

  override down(): void {
    this.addSql("alter table link_invites drop column if exists code_sealed");
    this.addSql("alter table invites drop column if exists redirect_url, drop column if exists locale");
    this.addSql(`alter table organizations drop column if exists display_name, drop column if exists logo_url,
      drop column if exists primary_color, drop column if exists support_email, drop column if exists locale,
      drop column if exists allowed_redirect_origins, drop column if exists app_url`);
  }
}

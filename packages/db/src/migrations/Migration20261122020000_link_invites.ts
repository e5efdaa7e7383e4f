import { Migration } from "@mikro-orm/migrations";

/** Reusable join links of an organization. The join code is stored only as its SHA-256. */
export class Migration20261122020000_link_invites extends Migration {
  override name = "Migration20261122020000_link_invites";

  override up(): void {
    this.addSql(`create table link_invites (
      id uuid primary key,
      organization_id uuid not null references organizations (id) on delete cascade,
      code_hash bytea not null,
      role text not null check (role in ('admin', 'create', 'edit', 'review', 'comment', 'read')),
      sso boolean not null default false,
      expires_at timestamptz(3),
      max_uses integer check (max_uses > 0),
      uses integer not null default 0,
      allowed_email_domains text[] not null default '{}',
      disabled boolean not null default false,
      creator_kind text not null check (creator_kind in ('root', 'api_key', 'user')),
      creator_id uuid,
      creator_name text not null,
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz(3) not null default now(),
      revoked_at timestamptz(3),
      check (max_uses is null or uses <= max_uses)
    )`);
    this.addSql("create unique index link_invites_code_hash_key on link_invites (code_hash)");
    this.addSql(
      "create index link_invites_keyset on link_invites (organization_id, created_at desc, id desc) where revoked_at is null",
    );
  }

  override down(): void {
    this.addSql("drop table if exists link_invites");
  }
}

import { Migration } from "@mikro-orm/migrations";

const ROLES = "('admin', 'create', 'edit', 'review', 'comment', 'read')";
const TARGETS = "('organization', 'website', 'group')";

/** Tenancy, users, memberships, API keys, invites and their deliveries. */
export class Migration20261122000000_foundation extends Migration {
  override name = "Migration20261122000000_foundation";

  override up(): void {
    this.addSql(`create table organizations (
      id uuid primary key,
      name text not null check (length(name) between 1 and 200),
      created_at timestamptz(3) not null default now()
    )`);
    this.addSql("create index organizations_keyset on organizations (created_at desc, id desc)");

    this.addSql(`create table websites (
      id uuid primary key,
      organization_id uuid not null references organizations (id) on delete cascade,
      name text not null check (length(name) between 1 and 200),
      url text,
      created_at timestamptz(3) not null default now()
    )`);
    this.addSql("create index websites_keyset on websites (organization_id, created_at desc, id desc)");

    this.addSql(`create table groups (
      id uuid primary key,
      name text not null check (length(name) between 1 and 200),
      created_at timestamptz(3) not null default now()
    )`);
    this.addSql("create index groups_keyset on groups (created_at desc, id desc)");
    this.addSql(`create table group_websites (
      group_id uuid not null references groups (id) on delete cascade,
      website_id uuid not null references websites (id) on delete cascade,
      created_at timestamptz(3) not null default now(),
      primary key (group_id, website_id)
    )`);
    this.addSql("create index group_websites_website on group_websites (website_id)");

    // Emails are stored normalized (trimmed, lower case); the check keeps every writer honest.
    this.addSql(`create table users (
      id uuid primary key,
      email text not null check (email = lower(btrim(email)) and length(email) between 3 and 254),
      first_name text,
      last_name text,
      email_verified boolean not null default false,
      created_at timestamptz(3) not null default now()
    )`);
    this.addSql("create unique index users_email_key on users (email)");

    this.addSql(`create table memberships (
      id uuid primary key,
      user_id uuid not null references users (id) on delete cascade,
      target_type text not null check (target_type in ${TARGETS}),
      target_id uuid not null,
      role text not null check (role in ${ROLES}),
      sso boolean not null default false,
      created_at timestamptz(3) not null default now()
    )`);
    this.addSql("create unique index memberships_target_user_key on memberships (target_type, target_id, user_id)");
    this.addSql(
      "create index memberships_target_keyset on memberships (target_type, target_id, created_at desc, id desc)",
    );
    this.addSql("create index memberships_user on memberships (user_id)");

    // Only the SHA-256 of a secret is stored; the secret itself is shown once, at creation.
    this.addSql(`create table api_keys (
      id uuid primary key,
      kind text not null check (kind in ('global', 'organization')),
      organization_id uuid references organizations (id) on delete cascade,
      name text not null check (length(name) between 1 and 200),
      secret_hash bytea not null,
      created_at timestamptz(3) not null default now(),
      revoked_at timestamptz,
      check ((kind = 'global') = (organization_id is null))
    )`);
    this.addSql("create unique index api_keys_secret_hash_key on api_keys (secret_hash)");
    this.addSql("create index api_keys_keyset on api_keys (organization_id, created_at desc, id desc)");

    // One email message: carries the accept token (hashed) for every invite it covers.
    this.addSql(`create table deliveries (
      id uuid primary key,
      email text not null,
      token_hash bytea not null,
      status text not null default 'queued' check (status in ('queued', 'sent', 'failed')),
      attempts integer not null default 0,
      last_error text,
      inviter_name text,
      created_at timestamptz(3) not null default now(),
      sent_at timestamptz
    )`);
    this.addSql("create unique index deliveries_token_hash_key on deliveries (token_hash)");

    this.addSql(`create table invites (
      id uuid primary key,
      email text not null,
      target_type text not null check (target_type in ${TARGETS}),
      target_id uuid not null,
      organization_id uuid references organizations (id) on delete cascade,
      role text not null check (role in ${ROLES}),
      status text not null default 'pending' check (status in ('pending', 'accepted', 'declined', 'revoked')),
      delivery_id uuid not null references deliveries (id),
      inviter_kind text not null check (inviter_kind in ('root', 'api_key', 'user')),
      inviter_id uuid,
      first_name text,
      last_name text,
      expires_at timestamptz not null,
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz(3) not null default now()
    )`);
    // At most one pending invite per email and target; a new invite replaces it in place.
    this.addSql(
      "create unique index invites_pending_key on invites (target_type, target_id, email) where status = 'pending'",
    );
    this.addSql("create index invites_organization_keyset on invites (organization_id, created_at desc, id desc)");
    this.addSql("create index invites_target_keyset on invites (target_type, target_id, created_at desc, id desc)");
    this.addSql("create index invites_email_keyset on invites (email, created_at desc, id desc)");
    this.addSql("create index invites_delivery on invites (delivery_id)");
  }

  override down(): void {
    for (const table of [
      "invites",
      "deliveries",
      "api_keys",
      "memberships",
      "users",
      "group_websites",
      "groups",
      "websites",
      "organizations",
    ]) {
      this.addSql(`drop table if exists ${table}`);
    }
  }
}

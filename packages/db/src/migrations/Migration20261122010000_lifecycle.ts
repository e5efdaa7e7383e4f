import { Migration } from "@mikro-orm/migrations";

/** Invite lifecycle (accept, decline, revoke, resend), sealed tokens for the mailer, user tokens. */
export class Migration20261122010000_lifecycle extends Migration {
  override name = "Migration20261122010000_lifecycle";

  override up(): void {
    // The accept token travels to the worker sealed (AES-256-GCM, key outside the database) and
    // is wiped once the email is sent; lookups only ever use the hash.
    this.addSql("alter table deliveries add column token_sealed text");
    this.addSql(
      "alter table deliveries add column kind text not null default 'invite' check (kind in ('invite', 'resend'))",
    );
    this.addSql("create index deliveries_recipient_recent on deliveries (email, created_at desc)");

    this.addSql("alter table invites add column responded_at timestamptz(3)");
    this.addSql("alter table invites add column accepted_user_id uuid references users (id) on delete set null");
    this.addSql("drop index invites_organization_keyset");
    this.addSql(
      "create index invites_organization_keyset on invites (organization_id, created_at desc, id desc) include (status, expires_at)",
    );

    this.addSql(`create table user_tokens (
      id uuid primary key,
      user_id uuid not null references users (id) on delete cascade,
      token_hash bytea not null,
      expires_at timestamptz(3) not null,
      created_at timestamptz(3) not null default now()
    )`);
    this.addSql("create unique index user_tokens_token_hash_key on user_tokens (token_hash)");
  }

  override down(): void {
    this.addSql("drop table if exists user_tokens");
    this.addSql("alter table invites drop column accepted_user_id, drop column responded_at");
    this.addSql("drop index if exists deliveries_recipient_recent");
    this.addSql("alter table deliveries drop column kind, drop column token_sealed");
  }
}

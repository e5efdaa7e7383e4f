import { Migration } from "@mikro-orm/migrations";

/**
 * Idempotency keys (the stored first answer of a mutation, per principal and key) and the email
 * quota of each organization: one counter row per organization for its current hourly window, and
 * an optional per-organization limit.
 */
export class Migration20261202300000_safety_rails extends Migration {
  override name = "Migration20261202300000_safety_rails";

  override up(): void {
    this.addSql(`create table idempotency_keys (
      scope text not null,
      key text not null,
      request_hash bytea not null,
      status_code integer not null,
      response_headers jsonb not null default '{}',
      response_body text not null,
      created_at timestamptz(3) not null default now(),
      expires_at timestamptz(3) not null,
      primary key (scope, key)
    )`);
    this.addSql("create index idempotency_keys_expires_at on idempotency_keys (expires_at)");
    this.addSql(`create table email_quota_windows (
      organization_id uuid primary key references organizations (id) on delete cascade,
      window_started_at timestamptz(3) not null,
      used integer not null check (used >= 0)
    )`);
    // Also created, the same way, with the organization settings; whichever runs first adds it.
    this.addSql("alter table organizations add column if not exists email_invites_per_hour integer");
  }

  override down(): void {
    this.addSql("drop table if exists email_quota_windows");
    this.addSql("drop table if exists idempotency_keys");
  }
}

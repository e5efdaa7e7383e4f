import { Migration } from "@mikro-orm/migrations";

/**
 * The event log (audit trail and webhook source), webhook endpoints with their delivery attempts,
 * and the record of which invite expiries have been announced.
 */
export class Migration20261202200000_events extends Migration {
  override name = "Migration20261202200000_events";

  override up(): void {
    // No foreign keys: the log is append-only and outlives what it talks about.
    this.addSql(`create table events (
      id uuid primary key,
      type text not null,
      organization_id uuid,
      actor_kind text not null check (actor_kind in ('api_key', 'root', 'user', 'invitee', 'system')),
      actor_id uuid,
      subject_type text not null,
      subject_id uuid not null,
      data jsonb not null default '{}',
      occurred_at timestamptz(3) not null default now(),
      dispatched_at timestamptz(3)
    )`);
    this.addSql("create index events_keyset on events (occurred_at desc, id desc)");
    this.addSql("create index events_organization_keyset on events (organization_id, occurred_at desc, id desc)");
    this.addSql("create index events_undispatched on events (occurred_at, id) where dispatched_at is null");
    // One notification per inserting statement wakes the workers' fan-out at once.
    // Spelled as MikroORM writes an entity's trigger (function "<table>_<trigger>_fn").
    this.addSql(
      `create or replace function "events_events_notify_fn"() returns trigger as $$ begin perform pg_notify('admit_events', ''); return null; end; $$ language plpgsql`,
    );
    this.addSql(
      'create trigger "events_notify" after insert on "events" for each statement execute function "events_events_notify_fn"()',
    );

    this.addSql(`create table webhook_endpoints (
      id uuid primary key,
      organization_id uuid references organizations (id) on delete cascade,
      url text not null,
      event_types text[] not null default '{}',
      description text,
      enabled boolean not null default true,
      disabled_reason text,
      secret_sealed text not null,
      previous_secret_sealed text,
      previous_secret_expires_at timestamptz(3),
      failing_since timestamptz(3),
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz(3) not null default now()
    )`);
    this.addSql("create index webhook_endpoints_keyset on webhook_endpoints (created_at desc, id desc)");
    this.addSql(
      "create index webhook_endpoints_organization_keyset on webhook_endpoints (organization_id, created_at desc, id desc)",
    );

    this.addSql(`create table webhook_attempts (
      id uuid primary key,
      webhook_id uuid not null references webhook_endpoints (id) on delete cascade,
      event_id uuid not null,
      event_type text not null,
      attempt integer not null,
      status_code integer,
      error text,
      response_body text,
      duration_ms integer not null,
      created_at timestamptz(3) not null default now()
    )`);
    this.addSql("create index webhook_attempts_keyset on webhook_attempts (webhook_id, created_at desc, id desc)");

    // The expiry an invite.expired event was recorded for: a resent invite gets a new expiry and is due again.
    // Same type as expires_at (full precision), so that the two compare exactly.
    this.addSql("alter table invites add column expiry_recorded_for timestamptz");
    this.addSql(
      `create index invites_expiry_due on invites (expires_at)
       where status = 'pending' and expiry_recorded_for is distinct from expires_at`,
    );
  }

  override down(): void {
    this.addSql("drop index if exists invites_expiry_due");
    this.addSql("alter table invites drop column if exists expiry_recorded_for");
    this.addSql("drop table if exists webhook_attempts");
    this.addSql("drop table if exists webhook_endpoints");
    this.addSql("drop table if exists events");
    this.addSql("drop function if exists events_events_notify_fn()");
  }
}

import { Migration } from "@mikro-orm/migrations";

/**
 * What the provider reports after sending: a delivery is matched by the provider's message id and
 * moves to `delivered`, `bounced` (with the bounce's type, description and whether it is
 * permanent) or `complained`.
 */
export class Migration20261202400000_delivery_reports extends Migration {
  override name = "Migration20261202400000_delivery_reports";

  override up(): void {
    this.addSql("alter table deliveries drop constraint if exists deliveries_status_check");
    this.addSql(
      `alter table deliveries add constraint deliveries_status_check
         check (status in ('queued', 'sent', 'failed', 'delivered', 'bounced', 'complained'))`,
    );
    this.addSql(`alter table deliveries
      add column provider_message_id text,
      add column reported_at timestamptz(3),
      add column bounce_type text,
      add column bounce_description text,
      add column bounce_permanent boolean`);
    this.addSql(
      "create unique index deliveries_provider_message_id_key on deliveries (provider_message_id) where provider_message_id is not null",
    );
  }

  override down(): void {
    this.addSql("drop index if exists deliveries_provider_message_id_key");
    this.addSql(`alter table deliveries
      drop column provider_message_id, drop column reported_at, drop column bounce_type,
      drop column bounce_description, drop column bounce_permanent`);
    this.addSql("update deliveries set status = 'sent' where status in ('delivered', 'bounced', 'complained')");
    this.addSql("alter table deliveries drop constraint if exists deliveries_status_check");
    this.addSql(
      "alter table deliveries add constraint deliveries_status_check check (status in ('queued', 'sent', 'failed'))",
    );
  }
}

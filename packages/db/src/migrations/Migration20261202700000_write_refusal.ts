import { Migration } from "@mikro-orm/migrations";

/**
 * `admit_refuse(reason, detail)` raises an error (SQLSTATE P0001, message `reason`, detail
 * `detail`): a statement that finds, after its writes, that a rule refuses them calls it, and
 * fails whole, so that nothing it wrote stays and its transaction cannot commit (a COMMIT sent
 * with it does not run).
 */
export class Migration20261202700000_write_refusal extends Migration {
  override name = "Migration20261202700000_write_refusal";

  override up(): void {
    this.addSql(
      `create or replace function "admit_refuse"(reason text, detail text) returns integer as $$ begin raise exception using errcode = 'P0001', message = reason, detail = detail; end; $$ language plpgsql`,
    );
  }

  override down(): void {
    this.addSql(`drop function if exists "admit_refuse"(text, text)`);
  }
}

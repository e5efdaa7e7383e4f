import { Migration } from "@mikro-orm/migrations";

/**
 * Credential changes notify `admit_credentials` in the changing transaction (delivered on commit),
 * so that every API process's credential cache drops the entry: `k:<secret hash>` for an API key,
 * `t:<token hash>` for a user token, `u:<user id>` for a user whose email or name changed.
 */
export class Migration20261202600000_credential_notify extends Migration {
  override name = "Migration20261202600000_credential_notify";

  override up(): void {
    this.addSql(
      `create or replace function "api_keys_api_keys_notify_fn"() returns trigger as $$ begin perform pg_notify('admit_credentials', 'k:' || encode(old.secret_hash, 'hex')); return null; end; $$ language plpgsql`,
    );
    this.addSql(
      `create trigger "api_keys_notify" AFTER UPDATE OR DELETE on "api_keys" for each ROW execute function "api_keys_api_keys_notify_fn"()`,
    );
    this.addSql(
      `create or replace function "users_users_notify_fn"() returns trigger as $$ begin if tg_op = 'DELETE' or old.email is distinct from new.email or old.first_name is distinct from new.first_name or old.last_name is distinct from new.last_name then perform pg_notify('admit_credentials', 'u:' || old.id::text); end if; return null; end; $$ language plpgsql`,
    );
    this.addSql(
      `create trigger "users_notify" AFTER UPDATE OR DELETE on "users" for each ROW execute function "users_users_notify_fn"()`,
    );
    this.addSql(
      `create or replace function "user_tokens_user_tokens_notify_fn"() returns trigger as $$ begin perform pg_notify('admit_credentials', 't:' || encode(old.token_hash, 'hex')); return null; end; $$ language plpgsql`,
    );
    this.addSql(
      `create trigger "user_tokens_notify" AFTER UPDATE OR DELETE on "user_tokens" for each ROW execute function "user_tokens_user_tokens_notify_fn"()`,
    );
  }

  override down(): void {
    this.addSql(`drop trigger if exists "api_keys_notify" on "api_keys"`);
    this.addSql(`drop function if exists "api_keys_api_keys_notify_fn"()`);
    this.addSql(`drop trigger if exists "user_tokens_notify" on "user_tokens"`);
    this.addSql(`drop function if exists "user_tokens_user_tokens_notify_fn"()`);
    this.addSql(`drop trigger if exists "users_notify" on "users"`);
    this.addSql(`drop function if exists "users_users_notify_fn"()`);
  }
}

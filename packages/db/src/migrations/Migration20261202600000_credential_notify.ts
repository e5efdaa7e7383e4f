import { Migration } from "@mikro-orm/migrations";

/**
 * Every change to a credential notifies `admit_credentials` in the changing transaction (delivered
 * when it commits), so that each API process drops what its credential cache holds for it:
 * `k:<secret hash>` for an API key, `t:<token hash>` for a user token, `u:<user id>` for a user
 * whose email or name changed.
 */
export class Migration20261202600000_credential_notify extends Migration {
  override name = "Migration20261202600000_credential_notify";

  override up(): void {
    this.addSql(`create function admit_notify_api_key() returns trigger language plpgsql as $$
      begin
        perform pg_notify('admit_credentials', 'k:' || encode(old.secret_hash, 'hex'));
        return null;
      end $$`);
    this.addSql(`create trigger api_keys_notify after update or delete on api_keys
      for each row execute function admit_notify_api_key()`);
    this.addSql(`create function admit_notify_user_token() returns trigger language plpgsql as $$
      begin
        perform pg_notify('admit_credentials', 't:' || encode(old.token_hash, 'hex'));
        return null;
      end $$`);
    this.addSql(`create trigger user_tokens_notify after update or delete on user_tokens
      for each row execute function admit_notify_user_token()`);
    this.addSql(`create function admit_notify_user() returns trigger language plpgsql as $$
      begin
        perform pg_notify('admit_credentials', 'u:' || old.id::text);
        return null;
      end $$`);
    this.addSql(`create trigger users_notify after update of email, first_name, last_name on users
      for each row when (old.email is distinct from new.email or old.first_name is distinct from new.first_name
        or old.last_name is distinct from new.last_name)
      execute function admit_notify_user()`);
    this.addSql(`create trigger users_notify_delete after delete on users
      for each row execute function admit_notify_user()`);
  }

  override down(): void {
    this.addSql("drop trigger if exists users_notify_delete on users");
    this.addSql("drop trigger if exists users_notify on users");
    this.addSql("drop trigger if exists user_tokens_notify on user_tokens");
    this.addSql("drop trigger if exists api_keys_notify on api_keys");
    this.addSql("drop function if exists admit_notify_user()");
    this.addSql("drop function if exists admit_notify_user_token()");
    this.addSql("drop function if exists admit_notify_api_key()");
  }
}

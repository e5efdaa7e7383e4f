/** Data written straight with SQL, not through the API: the million-invite tenant and pools of accept tokens. */
import { createHash, randomBytes } from "node:crypto";
import { type TokenSealer, uuidv7 } from "@admit/db";
import type pg from "pg";

/**
 * `count` invites (each with its delivery, as the API writes them) of one organization, one per
 * second going back from now, with INSERT … SELECT generate_series; mostly pending, some
 * accepted, declined or revoked. Loaded as bulk loads are: the secondary indexes of both tables
 * are dropped and built again from their own definitions afterwards, and foreign keys are not
 * checked row by row (the rows reference what they must by construction). Then ANALYZE.
 */
export const seedInvites = async (
  db: pg.Pool,
  options: { organizationId: string; apiKeyId: string; inviterName: string; count: number },
) => {
  const { organizationId, apiKeyId, inviterName, count } = options;
  const salt = randomBytes(4).toString("hex");
  const client = await db.connect();
  try {
    await client.query("begin");
    await client.query("set local maintenance_work_mem = '256MB'");
    await client.query("set local session_replication_role = replica");
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `select indexname as name, indexdef as definition from pg_indexes
       where schemaname = current_schema() and tablename in ('invites', 'deliveries')
         and indexname not in (select conname from pg_constraint)`,
    );
    for (const index of indexes) await client.query(`drop index ${index.name}`);
    await client.query(
      `create temporary table seed_rows on commit drop as
       select g, uuidv7(-(${count} - g) * interval '1 second') as invite_id,
              uuidv7(-(${count} - g) * interval '1 second') as delivery_id,
              now() - (${count} - g) * interval '1 second' as at,
              'seed-' || $1::text || '-' || g || '@example.com' as email
       from generate_series(1, ${count}) g`,
      [salt],
    );
    await client.query(
      `insert into deliveries (id, email, token_hash, status, attempts, inviter_name, kind, created_at, sent_at)
       select delivery_id, email, sha256(convert_to(email, 'UTF8')), 'sent', 1, $1, 'invite', at, at from seed_rows`,
      [inviterName],
    );
    await client.query(
      `insert into invites (id, email, target_type, target_id, organization_id, role, status, delivery_id,
                            inviter_kind, inviter_id, expires_at, created_at, updated_at)
       select invite_id, email, 'organization', $1::uuid, $1::uuid, 'read',
              (case when g % 10 = 0 then 'accepted' when g % 50 = 1 then 'revoked'
                    when g % 50 = 2 then 'declined' else 'pending' end),
              delivery_id, 'api_key', $2::uuid, at + interval '7 days', at, at
       from seed_rows`,
      [organizationId, apiKeyId],
    );
    for (const index of indexes) await client.query(index.definition);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  await db.query("analyze deliveries, invites");
};

export interface PendingInvite {
  readonly inviteId: string;
  readonly deliveryId: string;
  readonly email: string;
  readonly token: string;
  readonly tokenHash: string;
}

/**
 * `count` pending email invites to an organization, with accept tokens the bench knows, written
 * as the API writes them (invite + delivery, invited by the organization's key), but with no job queued.
 */
export const seedPendingInvites = async (
  db: pg.Pool,
  options: {
    organizationId: string;
    apiKeyId: string;
    inviterName: string;
    count: number;
    label: string;
    /** Stores the token sealed for the mail worker, as the API does; without it the worker has nothing to send. */
    sealer?: TokenSealer;
  },
): Promise<PendingInvite[]> => {
  const invites: PendingInvite[] = [];
  const salt = randomBytes(4).toString("hex");
  for (let i = 0; i < options.count; i++) {
    const token = `inv_${randomBytes(32).toString("base64url")}`;
    invites.push({
      inviteId: uuidv7(),
      deliveryId: uuidv7(),
      email: `${options.label}-${salt}-${i}@example.com`,
      token,
      tokenHash: createHash("sha256").update(token, "utf8").digest("hex"),
    });
  }
  const expires = new Date(Date.now() + 7 * 86_400_000).toISOString();
  for (let from = 0; from < invites.length; from += 10_000) {
    const chunk = invites.slice(from, from + 10_000);
    await db.query(
      `with d as (
         insert into deliveries (id, email, token_hash, token_sealed, inviter_name, kind)
         select id, email, decode(hash, 'hex'), sealed, $4, 'invite'
         from unnest($1::uuid[], $2::text[], $3::text[], $9::text[]) as t(id, email, hash, sealed)
         returning id, email)
       insert into invites (id, email, target_type, target_id, organization_id, role, delivery_id, inviter_kind,
                            inviter_id, expires_at)
       select i.id, d.email, 'organization', $6::uuid, $6::uuid, 'read', d.id, 'api_key', $7::uuid, $8::timestamptz
       from d join unnest($1::uuid[], $5::uuid[]) as i(delivery_id, id) on i.delivery_id = d.id`,
      [
        chunk.map((i) => i.deliveryId),
        chunk.map((i) => i.email),
        chunk.map((i) => i.tokenHash),
        options.inviterName,
        chunk.map((i) => i.inviteId),
        options.organizationId,
        options.apiKeyId,
        expires,
        chunk.map((i) => (options.sealer ? options.sealer.seal(i.token) : null)),
      ],
    );
  }
  return invites;
};

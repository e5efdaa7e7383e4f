import {
  EmailInviteStore,
  IdGenerator,
  inviteEvent,
  type ResolvedTarget,
  TenancyRepository,
  TokenGenerator,
  Transactor,
} from "@admit/domain";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { layer } from "./layer.ts";
import { initOrm, type Orm } from "./orm.ts";

let orm: Orm;
beforeAll(async () => {
  orm = await initOrm({ databaseUrl: inject("databaseUrl") });
});
afterAll(() => orm.close());

const run = <A, E>(effect: Effect.Effect<A, E, any>) =>
  Effect.runPromise(effect.pipe(Effect.provide(layer(orm, { tokenKey: "k".repeat(32) }))) as Effect.Effect<A, E>);

const count = async (sql: string, params: unknown[]) =>
  Number(
    (await orm.em.fork().execute<Array<{ n: number }>>(`select count(*)::int as n from (${sql}) x`, params))[0]?.n,
  );

/** A pending invite by email to `target`, as the rules plan one (inviter: the root key). */
const pendingInvite = (id: string, deliveryId: string, email: string, target: ResolvedTarget) => ({
  id,
  email,
  target,
  role: "read" as const,
  deliveryId,
  inviter: { kind: "root" as const, id: null, name: "Root" },
  firstName: null,
  lastName: null,
  expiresAt: new Date(Date.now() + 86_400_000),
  redirectUrl: null,
  locale: null,
});

describe("EmailInviteStore on PostgreSQL", () => {
  it("a renewal whose delivery a worker sent between the read and the write writes nothing", async () => {
    const email = `renew.${Date.now()}@example.com`;
    const outcome = await run(
      Effect.gen(function* () {
        const ids = yield* IdGenerator;
        const tokens = yield* TokenGenerator;
        const store = yield* EmailInviteStore;
        const transactor = yield* Transactor;
        const org = yield* (yield* TenancyRepository).createOrganization({ id: yield* ids.next, name: "Acme" });
        const target: ResolvedTarget = { type: "organization", id: org.id, organizationId: org.id };
        const invite = (id: string, deliveryId: string) => pendingInvite(id, deliveryId, email, target);
        const quota = { organizationIds: [org.id], now: new Date(), windowMs: 3_600_000, limit: 500 };
        const first = yield* tokens.next("inv");
        const deliveryId = yield* ids.next;
        const inviteId = yield* ids.next;
        yield* transactor.withTransaction(
          store.write({
            delivery: {
              _tag: "New",
              delivery: {
                id: deliveryId,
                email,
                token: first.token,
                tokenHash: first.hash,
                inviterName: "Root",
                kind: "invite",
              },
            },
            invites: [invite(inviteId, deliveryId)],
            events: [],
            quota,
          }),
        );
        const second = yield* tokens.next("inv");
        return yield* transactor.withTransaction(
          Effect.gen(function* () {
            const state = yield* store.read({ email, targets: [target], roleHolder: null });
            // A worker sends the delivery meanwhile (it does not touch the invites, which the read locked).
            yield* Effect.promise(() =>
              orm.em
                .fork()
                .execute("update deliveries set status = 'sent', sent_at = now() where id = ?", [deliveryId]),
            );
            const written = yield* store.write({
              delivery: { _tag: "Renew", id: deliveryId, token: second },
              invites: [invite(state.pending[0]?.inviteId as string, deliveryId)],
              events: [inviteEvent("invite.created", { kind: "root", id: null }, invite(inviteId, deliveryId))],
              quota,
            });
            return { written, deliveryId, secondHash: second.hash, organizationId: org.id };
          }),
        );
      }),
    );
    expect(outcome.written).toEqual({ _tag: "Stale" });
    expect(await count("select 1 from deliveries where email = ?", [email])).toBe(1);
    expect(await count("select 1 from deliveries where token_hash = decode(?, 'hex')", [outcome.secondHash])).toBe(0);
    expect(await count("select 1 from events where organization_id = ?", [outcome.organizationId])).toBe(0);
    const [window] = await orm.em
      .fork()
      .execute<Array<{ used: number }>>("select used from email_quota_windows where organization_id = ?", [
        outcome.organizationId,
      ]);
    expect(window?.used).toBe(1);
  });

  it("a new delivery's job is written by the write statement, and only if its transaction commits", async () => {
    const jobsOf = (deliveryId: string) =>
      count("select 1 from pgboss.job where name = 'invite-delivery' and data->>'deliveryId' = ?", [deliveryId]);
    const plan = (email: string, limit = 500) =>
      Effect.gen(function* () {
        const ids = yield* IdGenerator;
        const tokens = yield* TokenGenerator;
        const org = yield* (yield* TenancyRepository).createOrganization({ id: yield* ids.next, name: "Acme" });
        const target: ResolvedTarget = { type: "organization", id: org.id, organizationId: org.id };
        const token = yield* tokens.next("inv");
        const deliveryId = yield* ids.next;
        const invite = pendingInvite(yield* ids.next, deliveryId, email, target);
        return {
          deliveryId,
          write: {
            delivery: {
              _tag: "New" as const,
              delivery: {
                id: deliveryId,
                email,
                token: token.token,
                tokenHash: token.hash,
                inviterName: "Root",
                kind: "invite" as const,
              },
            },
            invites: [invite],
            events: [],
            quota: { organizationIds: [org.id], now: new Date(), windowMs: 3_600_000, limit },
          },
        };
      });
    const [kept, failed, refused] = await run(
      Effect.gen(function* () {
        const store = yield* EmailInviteStore;
        const transactor = yield* Transactor;
        const kept = yield* plan(`job.kept.${Date.now()}@example.com`);
        yield* transactor.withTransaction(store.write(kept.write));
        const failed = yield* plan(`job.failed.${Date.now()}@example.com`);
        // A transaction that fails after the write rolls back.
        const outcome = yield* Effect.exit(
          transactor.withTransaction(Effect.andThen(store.write(failed.write), Effect.fail("failed" as const))),
        );
        expect(outcome._tag).toBe("Failure");
        // Past the quota (no email allowed) the write writes nothing, in a transaction that
        // commits with it (serialized, as an email invite's is).
        const refused = yield* plan(`job.refused.${Date.now()}@example.com`, 0);
        const written = yield* transactor.withTransaction(store.write(refused.write), {
          serializeOn: `test:${refused.deliveryId}`,
        });
        expect(written).toMatchObject({ _tag: "OverQuota", usage: [{ used: 1 }] });
        return [kept.deliveryId, failed.deliveryId, refused.deliveryId];
      }),
    );
    expect(await jobsOf(kept)).toBe(1);
    for (const id of [failed, refused]) {
      expect(await count("select 1 from deliveries where id = ?", [id])).toBe(0);
      expect(await jobsOf(id)).toBe(0);
    }
  });
});

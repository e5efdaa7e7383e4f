import { type Context, Effect, Layer } from "effect";
import { expect } from "vitest";
import type { Role } from "../access/Role.ts";
import type { NewEvent } from "../events/Event.ts";
import { EventLog } from "../events/EventLog.ts";
import { Transactor } from "../shared/Transactor.ts";
import type { Target } from "../targets/Target.ts";
import * as InMemory from "./InMemory.ts";

/** Runs a use case on a fresh in-memory store with every port. */
export const inTestStore = <A, E, R>(self: Effect.Effect<A, E, R>) => self.pipe(Effect.provide(InMemory.layerTest));

/** A well-formed id that no seeded row has. */
export const MISSING = "99999999-9999-4999-8999-999999999999";

/** A user of `email` who holds `role` on `target`, written straight into the store; answers the user. */
export const seedMember = (email: string, role: Role, target: Target, options: { readonly sso?: boolean } = {}) =>
  Effect.tap(InMemory.seedUser({ email }), (user) => InMemory.seedMembership(user.id, target, role, options.sso));

/**
 * The three users the access rules tell apart in an organization: `admin` and `editor` of the
 * organization itself, and `siteAdmin`, admin of one of its websites only; emails at `domain`.
 */
export const seedStaff = (organizationId: string, websiteId: string, domain = "example.com") =>
  Effect.gen(function* () {
    const organization: Target = { type: "organization", id: organizationId };
    return {
      admin: yield* seedMember(`admin@${domain}`, "admin", organization),
      editor: yield* seedMember(`editor@${domain}`, "edit", organization),
      siteAdmin: yield* seedMember(`site@${domain}`, "admin", { type: "website", id: websiteId }),
    };
  });

/** Runs a use case that must fail, checks that it wrote nothing, and answers its error. */
export const refusal = <A, R>(self: Effect.Effect<A, unknown, R>) =>
  Effect.gen(function* () {
    const before = yield* InMemory.snapshot;
    const error = yield* Effect.flip(self);
    const after = yield* InMemory.snapshot;
    expect(after.events, "a refused request records no event").toEqual(before.events);
    expect(after, "a refused request writes nothing").toEqual(before);
    return error;
  });

/** The events written since `before` (a snapshot), as `type subject.type:subject.id` lines plus the records. */
export const eventsSince = (before: InMemory.StoreState) =>
  Effect.map(InMemory.snapshot, (s) => s.events.slice(before.events.length));

/**
 * A transactor and an event log that write down in `calls` what happens in a transaction, in
 * order: `begin`, `event <type> <organizationId>` for each event appended, `commit`. The events
 * themselves go to `events`.
 */
export const transactionsRecordedIn = (calls: string[], events: NewEvent[] = []) =>
  Layer.mergeAll(
    Layer.succeed(
      EventLog,
      EventLog.of({
        append: (appended) =>
          Effect.sync(() => {
            events.push(...appended);
            calls.push(...appended.map((e) => `event ${e.type} ${e.organizationId}`));
          }),
        list: () => Effect.die("not used"),
      }),
    ),
    Layer.succeed(
      Transactor,
      Transactor.of({
        withTransaction: (self) =>
          Effect.sync(() => calls.push("begin")).pipe(
            Effect.andThen(self),
            Effect.tap(() => Effect.sync(() => calls.push("commit"))),
          ),
      }),
    ),
  );

/**
 * Runs `self` with `concurrent` run to completion right before the first write of `store` (a port
 * with one read and one write): that write finds the world changed since its read.
 */
export const overtakenOnce =
  <I, S extends { readonly write: (plan: never) => Effect.Effect<unknown, unknown> }>(store: Context.Key<I, S>) =>
  <A, E, R, A2, E2, R2>(concurrent: Effect.Effect<A2, E2, R2>, self: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const real = yield* store;
      const context = yield* Effect.context<R2>();
      let overtaken = false;
      const write = (plan: never) =>
        Effect.gen(function* () {
          if (!overtaken) {
            overtaken = true;
            yield* Effect.orDie(Effect.provideContext(concurrent, context));
          }
          return yield* real.write(plan);
        });
      return yield* Effect.provideService(self, store, Object.assign({}, real, { write }));
    });

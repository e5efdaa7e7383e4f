import { describe, expect, it } from "@effect/vitest";
import { Effect, Ref } from "effect";
import { TestClock } from "effect/testing";
import { TooManyRequests } from "../errors/Errors.ts";
import { resendInvite } from "../invites/InviteLifecycle.ts";
import { InviteSettings } from "../invites/InviteSettings.ts";
import { createBulkInvite, createInvite } from "../invites/Invites.ts";
import * as InMemory from "../testing/InMemory.ts";
import { rootKey } from "../testing/Principals.ts";
import { inTestStore, refusal } from "../testing/support.ts";

const world = Effect.gen(function* () {
  const org = yield* InMemory.seedOrganization({ name: "A" });
  const other = yield* InMemory.seedOrganization({ name: "B" });
  const site = yield* InMemory.seedWebsite(org.id);
  const site2 = yield* InMemory.seedWebsite(org.id);
  const otherSite = yield* InMemory.seedWebsite(other.id);
  return { org, other, site, site2, otherSite };
});

let n = 0;
const emailTo = (organizationId: string) =>
  createInvite(rootKey, {
    type: "organization",
    method: "email",
    role: "read",
    organizationId,
    email: `person${++n}@example.com`,
  });

/** Runs `self` with an hourly email limit of `limit` as the service default. */
const withLimit =
  (limit: number) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const settings = yield* InviteSettings;
      return yield* Effect.provideService(self, InviteSettings, { ...settings, emailInvitesPerHour: limit });
    });

const setOwnLimit = (organizationId: string, limit: number) =>
  Effect.flatMap(Effect.service(InMemory.Store), (store) =>
    Ref.update(store.state, (s) => ({ ...s, emailQuotaLimits: { ...s.emailQuotaLimits, [organizationId]: limit } })),
  );

describe("email quota", () => {
  it.effect("refuses the email past the hourly limit with retryAfter, writing nothing, until the window ends", () =>
    inTestStore(
      withLimit(3)(
        Effect.gen(function* () {
          const { org } = yield* world;
          for (let i = 0; i < 3; i++) yield* emailTo(org.id);
          yield* TestClock.adjust("10 minutes");
          const error = yield* refusal(emailTo(org.id));
          expect(error).toBeInstanceOf(TooManyRequests);
          expect(error).toMatchObject({ reason: "email_quota_exceeded", retryAfter: 3000, limit: 3 });
          expect((yield* InMemory.snapshot).emailQuotaWindows).toEqual([
            { organizationId: org.id, windowStartedAt: new Date(0), used: 3 },
          ]);
          yield* TestClock.adjust("50 minutes");
          yield* emailTo(org.id);
          expect((yield* InMemory.snapshot).emailQuotaWindows[0]).toMatchObject({ used: 1 });
        }),
      ),
    ),
  );

  it.effect("counts per organization, and an organization's own limit wins over the default", () =>
    inTestStore(
      withLimit(2)(
        Effect.gen(function* () {
          const { org, other } = yield* world;
          yield* setOwnLimit(other.id, 5);
          for (let i = 0; i < 2; i++) yield* emailTo(org.id);
          for (let i = 0; i < 5; i++) yield* emailTo(other.id);
          expect(yield* refusal(emailTo(org.id))).toMatchObject({ reason: "email_quota_exceeded", limit: 2 });
          expect(yield* refusal(emailTo(other.id))).toMatchObject({ reason: "email_quota_exceeded", limit: 5 });
        }),
      ),
    ),
  );

  it.effect("a bulk email counts once, resend counts, direct invites do not count", () =>
    inTestStore(
      withLimit(3)(
        Effect.gen(function* () {
          const { org, site, site2 } = yield* world;
          const bulk = yield* createBulkInvite(rootKey, {
            method: "email",
            email: "bulk@example.com",
            role: "read",
            websiteIds: [site.id, site2.id],
          });
          expect(bulk.results.map((r) => r.status)).toEqual(["invited", "invited"]);
          for (let i = 0; i < 5; i++) {
            yield* createInvite(rootKey, {
              type: "website",
              method: "direct",
              role: "read",
              websiteId: site.id,
              email: `direct${i}@example.com`,
            });
          }
          const created = yield* emailTo(org.id);
          expect((yield* InMemory.snapshot).emailQuotaWindows[0]).toMatchObject({ used: 2 });
          yield* resendInvite(rootKey, { inviteId: "inviteId" in created ? created.inviteId : "" });
          expect((yield* InMemory.snapshot).emailQuotaWindows[0]).toMatchObject({ used: 3 });
          expect(yield* refusal(emailTo(org.id))).toMatchObject({ reason: "email_quota_exceeded" });
        }),
      ),
    ),
  );

  it.effect("a bulk email across organizations counts against each, and is refused if any is full", () =>
    inTestStore(
      withLimit(1)(
        Effect.gen(function* () {
          const { site, otherSite, other } = yield* world;
          yield* emailTo(other.id);
          const error = yield* refusal(
            createBulkInvite(rootKey, {
              method: "email",
              email: "bulk@example.com",
              role: "read",
              websiteIds: [site.id, otherSite.id],
            }),
          );
          expect(error).toMatchObject({ reason: "email_quota_exceeded" });
        }),
      ),
    ),
  );

  it.effect("an email whose transaction fails is not counted", () =>
    inTestStore(
      withLimit(1)(
        Effect.gen(function* () {
          const { org } = yield* world;
          yield* InMemory.failOn("Transactor.commit");
          yield* Effect.flip(emailTo(org.id));
          yield* InMemory.clearFaults;
          expect((yield* InMemory.snapshot).emailQuotaWindows).toEqual([]);
          yield* emailTo(org.id);
        }),
      ),
    ),
  );
});

import { Effect } from "effect";
import { expect } from "vitest";
import { EmailQuotaCounter } from "../../quotas/EmailQuotaCounter.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { TenancyRepository } from "../../tenancy/TenancyRepository.ts";
import { contract } from "./harness.ts";

const HOUR = 3_600_000;

const organization = Effect.gen(function* () {
  return yield* (yield* TenancyRepository).createOrganization({ id: yield* (yield* IdGenerator).next, name: "acme" });
});

/**
 * The email quota: a count per organization in fixed windows that start with the first email
 * after the last window ended. Being reworked with the other write paths: kept apart, so that
 * these cases are adjusted together.
 */
export const emailQuotaCounterContract = contract("EmailQuotaCounter", (it) => {
  it("counts one email per organization in windows that start with the first email after the last ended", function* () {
    const quota = yield* EmailQuotaCounter;
    const a = yield* organization;
    const b = yield* organization;
    const now = new Date(Date.UTC(2031, 0, 1, 12));
    const at = (ms: number) => new Date(now.getTime() + ms);
    const usage = (organizationId: string, used: number, windowStartedAt: Date) => ({
      organizationId,
      used,
      windowStartedAt,
      limitOverride: null,
    });
    const both = yield* quota.count([b.id, a.id, b.id, yield* (yield* IdGenerator).next], now, HOUR);
    expect([...both].sort((x, y) => x.organizationId.localeCompare(y.organizationId))).toEqual(
      [usage(a.id, 1, now), usage(b.id, 1, now)].sort((x, y) => x.organizationId.localeCompare(y.organizationId)),
    );
    expect(yield* quota.count([a.id], at(1_000), HOUR)).toEqual([usage(a.id, 2, now)]);
    expect(yield* quota.count([a.id], at(HOUR - 1), HOUR)).toEqual([usage(a.id, 3, now)]);
    expect(yield* quota.count([a.id], at(HOUR), HOUR)).toEqual([usage(a.id, 1, at(HOUR))]);
    expect(yield* quota.count([a.id], at(HOUR + 5), HOUR)).toEqual([usage(a.id, 2, at(HOUR))]);
    expect(yield* quota.count([b.id], at(3 * HOUR), HOUR)).toEqual([usage(b.id, 1, at(3 * HOUR))]);
    expect(yield* quota.count([], now, HOUR)).toEqual([]);
  });

  it("answers an organization's own hourly limit", function* () {
    const quota = yield* EmailQuotaCounter;
    const tenancy = yield* TenancyRepository;
    const org = yield* organization;
    const now = new Date(Date.UTC(2031, 0, 1, 12));
    yield* tenancy.updateOrganization(org.id, { emailInvitesPerHour: 20 });
    expect(yield* quota.count([org.id], now, HOUR)).toEqual([
      { organizationId: org.id, used: 1, windowStartedAt: now, limitOverride: 20 },
    ]);
    yield* tenancy.updateOrganization(org.id, { emailInvitesPerHour: null });
    expect((yield* quota.count([org.id], now, HOUR))[0]?.limitOverride).toBeNull();
  });
});

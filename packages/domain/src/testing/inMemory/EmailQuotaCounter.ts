import { Effect, Layer, Ref } from "effect";
import { EmailQuotaCounter, type EmailQuotaUsage } from "../../quotas/EmailQuotaCounter.ts";
import { Store, type StoreState } from "./Store.ts";

/**
 * The store with one email counted against each organization (ids naming none are skipped),
 * starting a fresh window at `now` where the last one is `windowMs` or more old; answers the usage.
 */
export const withEmailCounted = (
  s: StoreState,
  organizationIds: ReadonlyArray<string>,
  now: Date,
  windowMs: number,
): readonly [ReadonlyArray<EmailQuotaUsage>, StoreState] => {
  const windows = new Map(s.emailQuotaWindows.map((w) => [w.organizationId, w]));
  const usage = [...new Set(organizationIds)]
    .filter((id) => s.organizations.some((o) => o.id === id))
    .sort()
    .map((organizationId) => {
      const current = windows.get(organizationId);
      const fresh = current === undefined || current.windowStartedAt.getTime() + windowMs <= now.getTime();
      const next = fresh ? { organizationId, windowStartedAt: now, used: 1 } : { ...current, used: current.used + 1 };
      windows.set(organizationId, next);
      return { ...next, limitOverride: s.emailQuotaLimits[organizationId] ?? null };
    });
  return [usage, { ...s, emailQuotaWindows: [...windows.values()] }];
};

/**
 * The email quota counter over the in-memory store: its windows are part of the store's state,
 * so the transactor's rollback undoes a count exactly as PostgreSQL does. Limits of organizations
 * are seeded in `emailQuotaLimits`.
 */
export const EmailQuotaCounterTest = Layer.effect(
  EmailQuotaCounter,
  Effect.gen(function* () {
    const store = yield* Store;
    return EmailQuotaCounter.of({
      count: (organizationIds, now, windowMs) =>
        Ref.modify(store.state, (s) => withEmailCounted(s, organizationIds, now, windowMs)),
    });
  }),
);

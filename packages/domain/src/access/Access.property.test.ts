/**
 * Property-based tests of the access rules: random worlds × principals × targets × methods,
 * checked against a small oracle written from SPEC §2 (not from Access.ts).
 */
import { describe, expect, it } from "@effect/vitest";
import { Effect, Result } from "effect";
import * as fc from "fast-check";
import { type CreateInviteInput, createBulkInvite, createInvite, type InviteMethod } from "../invites/Invites.ts";
import { normalizeEmail } from "../shared/Email.ts";
import { TARGET_TYPES, type Target, type TargetType } from "../targets/Target.ts";
import * as InMemory from "../testing/InMemory.ts";
import { globalKey, organizationKey, rootKey, userPrincipal } from "../testing/Principals.ts";
import { checkTargets, type TargetAccess } from "./Access.ts";
import type { Principal } from "./Principal.ts";
import { ROLES, type Role } from "./Role.ts";

// ---------------------------------------------------------------------------------------------
// A world described by small numbers, so fast-check can shrink it
// ---------------------------------------------------------------------------------------------

type Pick =
  | { readonly kind: "existing"; readonly i: number }
  | { readonly kind: "missing" }
  | { readonly kind: "otherType"; readonly i: number };

interface TargetRef {
  readonly type: TargetType;
  readonly pick: Pick;
}

interface UserSpec {
  readonly exists: boolean;
  readonly memberships: ReadonlyArray<{ readonly ref: TargetRef; readonly role: Role }>;
}

interface WorldSpec {
  readonly orgCount: number;
  readonly websiteOrgs: ReadonlyArray<number>;
  readonly groups: ReadonlyArray<ReadonlyArray<number>>;
  readonly users: ReadonlyArray<UserSpec>;
}

type PrincipalSpec =
  | { readonly kind: "global"; readonly root: boolean }
  | { readonly kind: "organization"; readonly org: number }
  | { readonly kind: "user"; readonly who: number };

const EMAILS = ["boss@admit.test", "ann@example.com", "bob@example.org"] as const;
const FRESH_EMAIL = "zed@example.net";

const arbRole = fc.constantFrom(...ROLES);
const arbPick: fc.Arbitrary<Pick> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(5).map((i): Pick => ({ kind: "existing", i })) },
  { weight: 1, arbitrary: fc.constant<Pick>({ kind: "missing" }) },
  { weight: 1, arbitrary: fc.nat(5).map((i): Pick => ({ kind: "otherType", i })) },
);
const arbRef: fc.Arbitrary<TargetRef> = fc.record({ type: fc.constantFrom(...TARGET_TYPES), pick: arbPick });
const arbUser: fc.Arbitrary<UserSpec> = fc.record({
  exists: fc.boolean(),
  memberships: fc.array(fc.record({ ref: arbRef, role: arbRole }), { maxLength: 4 }),
});
const arbWorld: fc.Arbitrary<WorldSpec> = fc.record({
  orgCount: fc.integer({ min: 1, max: 3 }),
  websiteOrgs: fc.array(fc.nat(2), { maxLength: 4 }),
  groups: fc.array(fc.array(fc.nat(3), { maxLength: 3 }), { maxLength: 2 }),
  users: fc.tuple(arbUser, arbUser, arbUser),
});
const arbPrincipal: fc.Arbitrary<PrincipalSpec> = fc.oneof(
  fc.boolean().map((root): PrincipalSpec => ({ kind: "global", root })),
  fc.nat(2).map((org): PrincipalSpec => ({ kind: "organization", org })),
  fc.nat(EMAILS.length - 1).map((who): PrincipalSpec => ({ kind: "user", who })),
);

// ---------------------------------------------------------------------------------------------
// The concrete world
// ---------------------------------------------------------------------------------------------

const uuid = (kind: number, i: number) => `${kind}0000000-0000-4000-8000-${i.toString().padStart(12, "0")}`;
const MISSING_ID = "ffffffff-ffff-4fff-8fff-ffffffffffff";

interface World {
  readonly organizations: ReadonlyArray<string>;
  readonly websites: ReadonlyArray<{ readonly id: string; readonly organizationId: string }>;
  readonly groups: ReadonlyArray<{ readonly id: string; readonly websiteIds: ReadonlyArray<string> }>;
  /** Existing users, with their direct memberships by `type:id`. */
  readonly users: ReadonlyArray<{
    readonly id: string;
    readonly email: string;
    readonly roles: ReadonlyMap<string, Role>;
  }>;
  readonly principal: Principal;
}

const key = (t: Target) => `${t.type}:${t.id}`;

const idsOfType = (
  w: Pick_<World, "organizations" | "websites" | "groups">,
  type: TargetType,
): ReadonlyArray<string> =>
  type === "organization"
    ? w.organizations
    : type === "website"
      ? w.websites.map((s) => s.id)
      : w.groups.map((g) => g.id);
type Pick_<T, K extends keyof T> = { readonly [P in K]: T[P] };

const targetOfRef = (w: Pick_<World, "organizations" | "websites" | "groups">, ref: TargetRef): Target => {
  const { pick } = ref;
  if (pick.kind === "missing") return { type: ref.type, id: MISSING_ID };
  const pool =
    pick.kind === "existing"
      ? idsOfType(w, ref.type)
      : TARGET_TYPES.filter((t) => t !== ref.type).flatMap((t) => idsOfType(w, t));
  const id = pool[pick.i % Math.max(pool.length, 1)];
  return { type: ref.type, id: id ?? MISSING_ID };
};

const buildWorld = (spec: WorldSpec, principal: PrincipalSpec): World => {
  const organizations = Array.from({ length: spec.orgCount }, (_, i) => uuid(1, i));
  const websites = spec.websiteOrgs.map((o, i) => ({
    id: uuid(2, i),
    organizationId: organizations[o % organizations.length] as string,
  }));
  const groups = spec.groups.map((members, i) => ({
    id: uuid(3, i),
    websiteIds: [...new Set(members.filter((m) => m < websites.length).map((m) => websites[m]?.id as string))],
  }));
  const tenancy = { organizations, websites, groups };
  const users = spec.users.flatMap((u, i) => {
    const exists = u.exists || (principal.kind === "user" && principal.who === i);
    if (!exists) return [];
    const roles = new Map<string, Role>();
    for (const m of u.memberships) {
      const t = targetOfRef(tenancy, m.ref);
      if (t.id !== MISSING_ID && !roles.has(key(t))) roles.set(key(t), m.role);
    }
    return [{ id: uuid(4, i), email: EMAILS[i] as string, roles }];
  });
  const p: Principal =
    principal.kind === "global"
      ? principal.root
        ? rootKey
        : globalKey()
      : principal.kind === "organization"
        ? organizationKey(organizations[principal.org % organizations.length] as string)
        : userPrincipal(users.find((u) => u.email === EMAILS[principal.who]) as World["users"][number]);
  return { ...tenancy, users, principal: p };
};

const seedWorld = (w: World) =>
  Effect.gen(function* () {
    for (const id of w.organizations) yield* InMemory.seedOrganization({ id });
    for (const site of w.websites) yield* InMemory.seedWebsite(site.organizationId, { id: site.id });
    for (const group of w.groups) yield* InMemory.seedGroup(group);
    for (const user of w.users) {
      yield* InMemory.seedUser({ id: user.id, email: user.email });
      for (const [k, role] of user.roles) {
        const [type, id] = k.split(":") as [TargetType, string];
        yield* InMemory.seedMembership(user.id, { type, id }, role);
      }
    }
  });

// ---------------------------------------------------------------------------------------------
// The oracle, from SPEC §2
// ---------------------------------------------------------------------------------------------

type Expected =
  | { readonly allowed: true; readonly organizationId: string | null }
  | { readonly allowed: false; readonly status: "not_found" | "forbidden"; readonly reason: string };

const RANK: Record<Role, number> = { admin: 6, create: 5, edit: 4, review: 3, comment: 2, read: 1 };

/** The owning organization of an existing target (null for a group), or undefined when it does not exist. */
const ownerOf = (w: World, t: Target): string | null | undefined => {
  switch (t.type) {
    case "organization":
      return w.organizations.includes(t.id) ? t.id : undefined;
    case "website":
      return w.websites.find((s) => s.id === t.id)?.organizationId;
    case "group":
      return w.groups.some((g) => g.id === t.id) ? null : undefined;
  }
};

const oracle = (w: World, t: Target): Expected => {
  const p = w.principal;
  const notFound: Expected = { allowed: false, status: "not_found", reason: `${t.type}_not_found` };
  if (t.type === "group" && p.kind !== "global")
    return { allowed: false, status: "forbidden", reason: "group_requires_global_key" };
  const owner = ownerOf(w, t);
  if (owner === undefined) return notFound;
  const allowed: Expected = { allowed: true, organizationId: owner };
  if (p.kind === "global") return allowed;
  if (p.kind === "organization") return owner === p.organizationId ? allowed : notFound;
  const me = w.users.find((u) => u.id === p.userId);
  const candidates = [
    me?.roles.get(key(t)),
    t.type === "website" && owner !== null ? me?.roles.get(`organization:${owner}`) : undefined,
  ];
  const best = candidates.filter((r): r is Role => r !== undefined).sort((a, b) => RANK[b] - RANK[a])[0];
  if (best === undefined) return notFound;
  return best === "admin" ? allowed : { allowed: false, status: "forbidden", reason: "insufficient_role" };
};

const asExpected = (a: TargetAccess): Expected =>
  a._tag === "Allowed"
    ? { allowed: true, organizationId: a.target.organizationId }
    : { allowed: false, status: a.status, reason: a.reason };

const runInTestStore = <A, E>(self: Effect.Effect<A, E, InMemory.Services>): A =>
  Effect.runSync(self.pipe(Effect.provide(InMemory.layerTest)));

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe("access rules (property-based)", () => {
  it("checkTargets matches the oracle for every principal and target, and writes nothing", () => {
    const seen = new Set<string>();
    const rules = [
      "global:allowed",
      "global:group_not_found",
      "organization:allowed",
      "organization:website_not_found",
      "organization:organization_not_found",
      "organization:group_requires_global_key",
      "user:allowed",
      "user:insufficient_role",
      "user:website_not_found",
      "user:group_requires_global_key",
    ];
    // Rounds of 400 random cases until every rule has been met (at most five rounds): the
    // property is checked on every case, and cannot pass without having reached each rule.
    for (let round = 0; round < 5 && !rules.every((r) => seen.has(r)); round++)
      fc.assert(
        fc.property(
          arbWorld,
          arbPrincipal,
          fc.array(arbRef, { minLength: 1, maxLength: 6 }),
          arbRole,
          (spec, pSpec, refs, role) => {
            const w = buildWorld(spec, pSpec);
            const targets = refs.map((r) => targetOfRef(w, r));
            runInTestStore(
              Effect.gen(function* () {
                yield* seedWorld(w);
                const before = yield* InMemory.snapshot;
                const results = yield* checkTargets(w.principal, targets, role);
                const expected = targets.map((t) => oracle(w, t));
                for (const e of expected) seen.add(`${w.principal.kind}:${e.allowed ? "allowed" : e.reason}`);
                expect(results.map(asExpected)).toEqual(expected);
                const allowedTargets = results.flatMap((r) =>
                  r._tag === "Allowed" ? [{ type: r.target.type, id: r.target.id }] : [],
                );
                expect(allowedTargets).toEqual(targets.filter((t) => oracle(w, t).allowed));
                expect(yield* InMemory.snapshot).toEqual(before);
              }),
            );
          },
        ),
        { numRuns: 400 },
      );
    // The generator reached every rule, so the property did not pass vacuously.
    expect([...seen]).toEqual(expect.arrayContaining(rules));
  });

  const arbInvite = fc.record({
    world: arbWorld,
    principal: arbPrincipal,
    ref: arbRef,
    method: fc.constantFrom<InviteMethod>("direct", "email"),
    role: arbRole,
    invitee: fc.nat(EMAILS.length),
    spelling: fc.constantFrom(
      (e: string) => e,
      (e: string) => e.toUpperCase(),
      (e: string) => `  ${e} `,
      (e: string) => e.charAt(0).toUpperCase() + e.slice(1),
    ),
    omitOwnOrganizationId: fc.boolean(),
    foreignField: fc.option(fc.constantFrom("organizationId", "websiteId", "groupId"), { freq: 6 }),
    priorInvite: fc.boolean(),
  });

  it("createInvite: allowed targets add or invite exactly as asked; refusals and conflicts write nothing", () => {
    const seen = new Set<string>();
    const rules = [
      "invalid_input",
      "already_member",
      "organization:website_not_found",
      "organization:group_requires_global_key",
      "user:insufficient_role",
      "user:organization_not_found",
      "direct:new_user",
      "direct:existing_user",
      "email:new_user",
      "email:existing_user:replaces",
    ];
    // As above: rounds until every rule has been met, at most five.
    for (let round = 0; round < 5 && !rules.every((r) => seen.has(r)); round++)
      fc.assert(
        fc.property(arbInvite, (c) => {
          const w = buildWorld(c.world, c.principal);
          const named = targetOfRef(w, c.ref);
          const rawEmail = c.spelling(EMAILS[c.invitee] ?? FRESH_EMAIL);
          const email = normalizeEmail(rawEmail);
          const p = w.principal;
          const ownField =
            c.ref.type === "organization" ? "organizationId" : c.ref.type === "website" ? "websiteId" : "groupId";
          const leaveOutId = c.omitOwnOrganizationId && c.ref.type === "organization" && p.kind === "organization";
          // Left out, the organization key's own organization is the target.
          const target: Target =
            leaveOutId && p.kind === "organization" ? { type: "organization", id: p.organizationId } : named;
          const foreign = c.foreignField !== null && c.foreignField !== ownField ? c.foreignField : null;
          const input: CreateInviteInput = {
            type: c.ref.type,
            method: c.method,
            email: rawEmail,
            role: c.role,
            ...(leaveOutId ? {} : { [ownField]: named.id }),
            ...(foreign === null ? {} : { [foreign]: MISSING_ID }),
          };

          runInTestStore(
            Effect.gen(function* () {
              yield* seedWorld(w);
              if (c.priorInvite) {
                // An earlier email invite of the same person to the same target, when one can exist.
                yield* Effect.result(
                  createInvite(rootKey, {
                    type: target.type,
                    method: "email",
                    email,
                    role: "read",
                    [ownField]: target.id,
                  }),
                );
              }
              const before = yield* InMemory.snapshot;
              const outcome = yield* Effect.result(createInvite(p, input));
              const after = yield* InMemory.snapshot;

              const access = oracle(w, target);
              const invitee = w.users.find((u) => u.email === email);
              const alreadyMember = invitee?.roles.has(key(target)) ?? false;

              seen.add(
                foreign !== null
                  ? "invalid_input"
                  : !access.allowed
                    ? `${p.kind}:${access.reason}`
                    : alreadyMember
                      ? "already_member"
                      : `${c.method}:${invitee === undefined ? "new_user" : "existing_user"}${c.method === "email" && c.priorInvite ? ":replaces" : ""}`,
              );
              if (foreign !== null || !access.allowed || alreadyMember) {
                expect(Result.isFailure(outcome)).toBe(true);
                expect(after, "a refused request writes nothing").toEqual(before);
                const error = Result.isFailure(outcome) ? outcome.failure : undefined;
                if (foreign !== null) {
                  expect(error).toMatchObject({ _tag: "InvalidInput" });
                  expect(Object.keys((error as { fieldErrors: object }).fieldErrors)).toContain(foreign);
                } else if (!access.allowed) {
                  expect(error).toMatchObject({
                    _tag: access.status === "forbidden" ? "Forbidden" : "NotFound",
                    reason: access.reason,
                  });
                } else {
                  expect(error).toMatchObject({ _tag: "AlreadyMember" });
                }
                return;
              }

              if (Result.isFailure(outcome))
                throw new Error(`expected success, got ${JSON.stringify(outcome.failure)}`);
              const result = outcome.success;
              const unchanged = (s: InMemory.StoreState) => ({
                ...s,
                users: [],
                memberships: [],
                invites: [],
                deliveries: [],
                // An email counts against the organization's quota (see quotas/EmailQuota.test.ts).
                emailQuotaWindows: [],
                events: [],
              });
              expect(unchanged(after)).toEqual(unchanged(before));
              expect(after.events.slice(before.events.length).map((e) => e.type)).toEqual([
                c.method === "direct" ? "member.added" : "invite.created",
              ]);

              if (c.method === "direct") {
                expect(Object.keys(result).sort()).toEqual(["message", "success", "userId"]);
                const userId = (result as { userId: string }).userId;
                if (invitee !== undefined) {
                  expect(userId).toBe(invitee.id);
                  expect(after.users).toEqual(before.users);
                } else {
                  expect(after.users.slice(0, -1)).toEqual(before.users);
                  expect(after.users.at(-1)).toMatchObject({ id: userId, email, emailVerified: false });
                }
                expect(after.memberships).toEqual([
                  ...before.memberships,
                  {
                    userId,
                    target: { type: target.type, id: target.id },
                    role: c.role,
                    sso: false,
                    createdAt: expect.any(Date),
                  },
                ]);
                expect(after.invites).toEqual(before.invites);
                expect(after.deliveries).toEqual(before.deliveries);
              } else {
                expect(Object.keys(result).sort()).toEqual(["inviteId", "message", "success"]);
                const inviteId = (result as { inviteId: string }).inviteId;
                expect(after.users).toEqual(before.users);
                expect(after.memberships).toEqual(before.memberships);
                const delivery = after.deliveries.at(-1);
                expect(delivery).toMatchObject({ email, status: "queued" });
                const prior = before.invites.find(
                  (i) => i.status === "pending" && i.email === email && key(i.target) === key(target),
                );
                const queued = before.deliveries.find((d) => d.id === prior?.deliveryId && d.status === "queued");
                if (queued !== undefined) {
                  // The queued delivery is reused with a new token; its old token stays on a closed row.
                  const others = (ds: ReadonlyArray<InMemory.DeliveryRow>) => ds.filter((d) => d.id !== queued.id);
                  expect(others(after.deliveries).slice(0, -1)).toEqual(others(before.deliveries));
                  expect(others(after.deliveries).at(-1)).toMatchObject({
                    tokenHash: queued.tokenHash,
                    status: "failed",
                  });
                  expect(delivery).toMatchObject({ id: queued.id });
                  expect(delivery?.tokenHash).not.toBe(queued.tokenHash);
                } else {
                  expect(after.deliveries.slice(0, -1)).toEqual(before.deliveries);
                }
                if (prior !== undefined) {
                  expect(inviteId).toBe(prior.id);
                  expect(after.invites).toHaveLength(before.invites.length);
                } else {
                  expect(before.invites.map((i) => i.id)).not.toContain(inviteId);
                  expect(after.invites).toHaveLength(before.invites.length + 1);
                }
                expect(after.invites.find((i) => i.id === inviteId)).toMatchObject({
                  email,
                  target: { type: target.type, id: target.id, organizationId: access.organizationId },
                  role: c.role,
                  status: "pending",
                  deliveryId: delivery?.id,
                });
              }
            }),
          );
        }),
        { numRuns: 400 },
      );
    expect([...seen]).toEqual(expect.arrayContaining(rules));
  });

  it("createBulkInvite: every target gets the oracle's outcome, and only allowed targets are written", () => {
    const arbBulk = fc.record({
      world: arbWorld,
      principal: arbPrincipal,
      type: fc.constantFrom<TargetType>("website", "group"),
      picks: fc.array(arbPick, { minLength: 1, maxLength: 5 }),
      method: fc.constantFrom<InviteMethod>("direct", "email"),
      role: arbRole,
      invitee: fc.nat(EMAILS.length),
    });
    fc.assert(
      fc.property(arbBulk, (c) => {
        const w = buildWorld(c.world, c.principal);
        const ids = [...new Set(c.picks.map((pick) => targetOfRef(w, { type: c.type, pick }).id))];
        const targets = ids.map((id): Target => ({ type: c.type, id }));
        const email = EMAILS[c.invitee] ?? FRESH_EMAIL;
        const invitee = w.users.find((u) => u.email === email);
        runInTestStore(
          Effect.gen(function* () {
            yield* seedWorld(w);
            const before = yield* InMemory.snapshot;
            const result = yield* createBulkInvite(w.principal, {
              method: c.method,
              email,
              role: c.role,
              ...(c.type === "website" ? { websiteIds: ids } : { groupIds: ids }),
            });
            const after = yield* InMemory.snapshot;

            const expected = targets.map((t) => {
              const access = oracle(w, t);
              if (!access.allowed) return { status: access.status, reason: access.reason };
              if (invitee?.roles.has(key(t))) return { status: "already_member", reason: "already_member" };
              return { status: c.method === "direct" ? "added" : "invited", reason: undefined };
            });
            expect(result.results.map((r) => r.target)).toEqual(targets);
            expect(result.results.map((r) => ({ status: r.status, reason: r.reason }))).toEqual(expected);
            const written = targets.filter(
              (_, i) => expected[i]?.status === "added" || expected[i]?.status === "invited",
            );
            const anyAllowed = targets.some((t) => oracle(w, t).allowed);

            if (c.method === "direct") {
              expect("userId" in result).toBe(anyAllowed);
              expect(after.memberships.slice(before.memberships.length).map((m) => m.target)).toEqual(written);
              expect(after.users.length - before.users.length).toBe(anyAllowed && invitee === undefined ? 1 : 0);
              expect(after.deliveries).toEqual(before.deliveries);
            } else {
              expect(result).not.toHaveProperty("userId");
              expect(after.users).toEqual(before.users);
              expect(after.memberships).toEqual(before.memberships);
              expect(after.deliveries.length - before.deliveries.length).toBe(written.length > 0 ? 1 : 0);
              expect(after.invites.map((i) => ({ type: i.target.type, id: i.target.id }))).toEqual(written);
              expect(result.results.flatMap((r) => (r.inviteId === undefined ? [] : [r.inviteId]))).toEqual(
                after.invites.map((i) => i.id),
              );
            }
            if (written.length === 0 && !(c.method === "direct" && anyAllowed)) {
              expect(after, "nothing to add or invite writes nothing").toEqual(before);
            }
          }),
        );
      }),
      { numRuns: 300 },
    );
  });
});

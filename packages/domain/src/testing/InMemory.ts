/**
 * In-memory implementations of every domain port, sharing one immutable store, for domain tests.
 *
 * The store is one `Ref` holding plain readonly data, so a test can read it whole, compare it
 * before and after a call ("a refused request writes nothing"), and the transactor can roll back
 * by putting the snapshot back. Transactions run one at a time (as if each locked every row it
 * touches), so concurrent transactions never see each other half done and a rollback never
 * undoes another transaction's writes; a transaction inside a transaction joins the outer one,
 * as the PostgreSQL transactor does.
 *
 * Like the database, the adapters store and compare emails exactly as given: normalizing is the
 * domain's job, and writing a user whose email is not normalized breaks a constraint
 * (`RepositoryError`), as the `users.email` check does.
 */
import { Clock, Context, Effect, Layer, Ref, Result, Semaphore } from "effect";
import type { Inviter } from "../access/Principal.ts";
import { highestRole, type Role } from "../access/Role.ts";
import { DeliveryRepository } from "../deliveries/DeliveryRepository.ts";
import { RepositoryError } from "../errors/Errors.ts";
import { type DeliveryStatus, type InviteRecord, type StoredInviteStatus, statusAt } from "../invites/Invite.ts";
import { type InviteFilter, InviteRepository } from "../invites/InviteRepository.ts";
import { type LinkInviteRecord, LinkInviteRepository } from "../links/LinkInviteRepository.ts";
import { MembershipRepository, type MemberView, type Page, type PageRequest } from "../members/MembershipRepository.ts";
import { normalizeEmail } from "../shared/Email.ts";
import { IdGenerator } from "../shared/IdGenerator.ts";
import { TokenGenerator } from "../shared/TokenGenerator.ts";
import { Transactor } from "../shared/Transactor.ts";
import { type ResolvedTarget, type Target, targetKey } from "../targets/Target.ts";
import { type TargetDescription, TargetRepository } from "../targets/TargetRepository.ts";
import { type ApiKeyKind, ApiKeyRepository, type ApiKeyView } from "../tenancy/ApiKeyRepository.ts";
import {
  type GroupView,
  type OrganizationView,
  TenancyRepository,
  type WebsiteView,
} from "../tenancy/TenancyRepository.ts";
import { UserRepository, type UserView } from "../users/UserRepository.ts";
import { UserTokenRepository } from "../users/UserTokenRepository.ts";

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

export interface UserRow {
  readonly id: string;
  readonly email: string;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly emailVerified: boolean;
  readonly createdAt: Date;
}

export interface MembershipRow {
  readonly userId: string;
  readonly target: Target;
  readonly role: Role;
  readonly sso: boolean;
  readonly createdAt: Date;
}

export interface GroupWebsiteRow {
  readonly groupId: string;
  readonly websiteId: string;
}

export interface ApiKeyRow extends ApiKeyView {
  readonly secretHash: string;
}

export interface InviteRow {
  readonly id: string;
  readonly email: string;
  readonly target: ResolvedTarget;
  readonly role: Role;
  /** As stored: a pending invite past `expiresAt` reads as expired (`statusAt`). */
  readonly status: StoredInviteStatus;
  readonly deliveryId: string;
  readonly inviter: Inviter;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly expiresAt: Date;
  /** The user who accepted or declined, when known. */
  readonly respondedBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface DeliveryRow {
  readonly id: string;
  readonly email: string;
  /** Kept for the mailer, as the real adapter keeps it sealed until sent. */
  readonly token: string | null;
  readonly tokenHash: string;
  readonly inviterName: string;
  readonly kind: "invite" | "resend";
  readonly status: DeliveryStatus;
  readonly lastError: string | null;
  readonly createdAt: Date;
}

export interface UserTokenRow {
  readonly id: string;
  readonly userId: string;
  readonly tokenHash: string;
  readonly expiresAt: Date;
}

export interface LinkInviteRow extends LinkInviteRecord {
  /** Only the hash of the join code is stored. */
  readonly codeHash: string;
  /** A revoked link is gone for every lookup; the row stays for the record. */
  readonly revokedAt: Date | null;
  readonly updatedAt: Date;
}

export interface StoreState {
  readonly organizations: ReadonlyArray<OrganizationView>;
  readonly websites: ReadonlyArray<WebsiteView>;
  readonly groups: ReadonlyArray<GroupView>;
  readonly groupWebsites: ReadonlyArray<GroupWebsiteRow>;
  readonly users: ReadonlyArray<UserRow>;
  readonly memberships: ReadonlyArray<MembershipRow>;
  readonly apiKeys: ReadonlyArray<ApiKeyRow>;
  readonly invites: ReadonlyArray<InviteRow>;
  readonly deliveries: ReadonlyArray<DeliveryRow>;
  readonly userTokens: ReadonlyArray<UserTokenRow>;
  readonly linkInvites: ReadonlyArray<LinkInviteRow>;
}

export const emptyState: StoreState = {
  organizations: [],
  websites: [],
  groups: [],
  groupWebsites: [],
  users: [],
  memberships: [],
  apiKeys: [],
  invites: [],
  deliveries: [],
  userTokens: [],
  linkInvites: [],
};

type OperationsOf<Name extends string, S> = `${Name}.${Extract<keyof S, string>}`;

/** Every port operation by name, plus the commit of a transaction: the places a fault can be injected. */
export type Operation =
  | OperationsOf<"ApiKeyRepository", ApiKeyRepository["Service"]>
  | OperationsOf<"DeliveryRepository", DeliveryRepository["Service"]>
  | OperationsOf<"InviteRepository", InviteRepository["Service"]>
  | OperationsOf<"LinkInviteRepository", LinkInviteRepository["Service"]>
  | OperationsOf<"MembershipRepository", MembershipRepository["Service"]>
  | OperationsOf<"TargetRepository", TargetRepository["Service"]>
  | OperationsOf<"TenancyRepository", TenancyRepository["Service"]>
  | OperationsOf<"UserRepository", UserRepository["Service"]>
  | OperationsOf<"UserTokenRepository", UserTokenRepository["Service"]>
  | "Transactor.commit";

/** The shared state of all in-memory adapters, and the operations told to fail. */
export class Store extends Context.Service<
  Store,
  {
    readonly state: Ref.Ref<StoreState>;
    readonly faults: Ref.Ref<ReadonlySet<Operation>>;
  }
>()("@admit/domain/testing/InMemoryStore") {
  static readonly layer = Layer.effect(
    Store,
    Effect.gen(function* () {
      return Store.of({
        state: yield* Ref.make(emptyState),
        faults: yield* Ref.make<ReadonlySet<Operation>>(new Set()),
      });
    }),
  );
}

/** The whole store as it is now. */
export const snapshot: Effect.Effect<StoreState, never, Store> = Effect.flatMap(Effect.service(Store), (s) =>
  Ref.get(s.state),
);

/** Every later call of these operations fails with `RepositoryError` until `clearFaults`. */
export const failOn = (...operations: ReadonlyArray<Operation>): Effect.Effect<void, never, Store> =>
  Effect.flatMap(Effect.service(Store), (s) => Ref.update(s.faults, (current) => new Set([...current, ...operations])));

export const clearFaults: Effect.Effect<void, never, Store> = Effect.flatMap(Effect.service(Store), (s) =>
  Ref.set(s.faults, new Set<Operation>()),
);

// ---------------------------------------------------------------------------------------------
// Helpers shared by the adapters
// ---------------------------------------------------------------------------------------------

const injectedFault = (operation: Operation) =>
  new RepositoryError({ cause: new Error(`Injected fault: ${operation}`) });

const guard = (store: Store["Service"], operation: Operation): Effect.Effect<void, RepositoryError> =>
  Effect.flatMap(Ref.get(store.faults), (faults) =>
    faults.has(operation) ? Effect.fail(injectedFault(operation)) : Effect.void,
  );

const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms));

/** Reads the store after the fault check. */
const read =
  (store: Store["Service"]) =>
  <A>(operation: Operation, f: (s: StoreState) => A): Effect.Effect<A, RepositoryError> =>
    guard(store, operation).pipe(Effect.andThen(Ref.get(store.state)), Effect.map(f));

/** Updates the store atomically; `f` throwing (a broken constraint) is a `RepositoryError`, writing nothing. */
const write =
  (store: Store["Service"]) =>
  <A>(
    operation: Operation,
    f: (s: StoreState, at: Date) => readonly [A, StoreState],
  ): Effect.Effect<A, RepositoryError> =>
    Effect.gen(function* () {
      yield* guard(store, operation);
      const at = yield* now;
      // One atomic modify, so concurrent fibers cannot interleave between reading and writing.
      const outcome = yield* Ref.modify(
        store.state,
        (before): readonly [Result.Result<A, RepositoryError>, StoreState] => {
          try {
            const [result, after] = f(before, at);
            return [Result.succeed(result), after];
          } catch (cause) {
            return [Result.fail(new RepositoryError({ cause })), before];
          }
        },
      );
      return yield* Effect.fromResult(outcome);
    });

const sameTarget = (a: Target, b: Target) => a.type === b.type && a.id === b.id;

const uniqueTargets = (targets: ReadonlyArray<Target>): ReadonlyArray<Target> => {
  const seen = new Map<string, Target>();
  for (const t of targets) if (!seen.has(targetKey(t))) seen.set(targetKey(t), { type: t.type, id: t.id });
  return [...seen.values()];
};

/** Keyset pagination over ids, ascending: the cursor is the last id of the previous page. */
export const paginate = <T extends { readonly id: string }>(items: ReadonlyArray<T>, page: PageRequest): Page<T> => {
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const after = page.cursor === null ? sorted : sorted.filter((i) => i.id > (page.cursor as string));
  const items_ = after.slice(0, Math.max(0, page.limit));
  const last = items_[items_.length - 1];
  return { items: items_, nextCursor: after.length > items_.length && last !== undefined ? last.id : null };
};

/** The organization owning an existing target (itself for an organization, none for a group); undefined when missing. */
const ownerOf = (s: StoreState, t: Target): string | null | undefined => {
  if (t.type === "organization") return s.organizations.some((o) => o.id === t.id) ? t.id : undefined;
  if (t.type === "website") return s.websites.find((w) => w.id === t.id)?.organizationId;
  return s.groups.some((g) => g.id === t.id) ? null : undefined;
};

const publicKey = ({ secretHash: _, ...view }: ApiKeyRow): ApiKeyView => view;

const groupDetail = (s: StoreState, group: GroupView) => ({
  ...group,
  websiteIds: s.groupWebsites.filter((gw) => gw.groupId === group.id).map((gw) => gw.websiteId),
});

/**
 * Keyset pagination, newest first (`created_at desc, id desc`): the cursor is `<createdAt ms>:<id>`
 * of the previous page's last item, and the next page holds what sorts strictly after that
 * position, so it still works when that item is gone. An unreadable cursor starts from the top,
 * as the PostgreSQL adapters do.
 */
export const paginateNewestFirst = <T extends { readonly id: string; readonly createdAt: Date }>(
  items: ReadonlyArray<T>,
  page: PageRequest,
): Page<T> => {
  const cursorOf = (i: T) => `${i.createdAt.getTime()}:${i.id}`;
  const newerFirst = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }) =>
    b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  const sorted = [...items].sort(newerFirst);
  const match = page.cursor === null ? null : /^(\d+):(.+)$/.exec(page.cursor);
  const after = match ? { createdAt: new Date(Number(match[1])), id: match[2] as string } : null;
  const rest = after === null ? sorted : sorted.filter((i) => newerFirst(after, i) < 0);
  const items_ = rest.slice(0, Math.max(0, page.limit));
  const last = items_[items_.length - 1];
  return { items: items_, nextCursor: rest.length > items_.length && last !== undefined ? cursorOf(last) : null };
};

const userView = ({ createdAt: _, ...view }: UserRow): UserView => view;

/** Names only fill in what the user did not have yet. */
const withNames = (
  s: StoreState,
  user: UserRow,
  names: { readonly firstName: string | null; readonly lastName: string | null },
): StoreState => {
  const named = { ...user, firstName: user.firstName ?? names.firstName, lastName: user.lastName ?? names.lastName };
  return { ...s, users: s.users.map((u) => (u.id === user.id ? named : u)) };
};

/** The `users.email` check: only normalized addresses are stored. */
const normalizedEmail = (email: string): string => {
  if (email !== normalizeEmail(email) || email.length < 3 || email.length > 254) {
    throw new Error(`users.email: check violated by ${JSON.stringify(email)}`);
  }
  return email;
};

const memberView = (s: StoreState, m: MembershipRow): MemberView | null => {
  const user = s.users.find((u) => u.id === m.userId);
  return user ? { userId: m.userId, email: user.email, role: m.role, sso: m.sso, createdAt: m.createdAt } : null;
};

/** An invite row as the lifecycle rules see it, with its delivery's state. */
export const inviteRecord = (s: StoreState, row: InviteRow): InviteRecord => {
  const delivery = s.deliveries.find((d) => d.id === row.deliveryId);
  return {
    id: row.id,
    email: row.email,
    target: row.target,
    role: row.role,
    status: row.status,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    inviter: row.inviter,
    delivery: { id: row.deliveryId, status: delivery?.status ?? "queued", lastError: delivery?.lastError ?? null },
  };
};

const matchesFilter = (row: InviteRow, filter: InviteFilter): boolean =>
  (filter.organizationId === undefined || row.target.organizationId === filter.organizationId) &&
  (filter.websiteId === undefined || (row.target.type === "website" && row.target.id === filter.websiteId)) &&
  (filter.groupId === undefined || (row.target.type === "group" && row.target.id === filter.groupId)) &&
  (filter.email === undefined || row.email === filter.email) &&
  (filter.status === undefined || statusAt(row, filter.now.getTime()) === filter.status);

// ---------------------------------------------------------------------------------------------
// Adapters
// ---------------------------------------------------------------------------------------------

/** Counts up: `00000000-0000-4000-8000-000000000001`, `...002`, ... (UUID-shaped, easy to read in failures). */
export const IdGeneratorTest = Layer.effect(
  IdGenerator,
  Effect.gen(function* () {
    const counter = yield* Ref.make(0);
    return IdGenerator.of({
      next: Ref.modify(counter, (n) => [`00000000-0000-4000-8000-${(n + 1).toString(16).padStart(12, "0")}`, n + 1]),
    });
  }),
);

/** Tokens `${prefix}_1`, `${prefix}_2`, ...; the stored hash is `h:${token}`, so tests can compute it. */
export const TokenGeneratorTest = Layer.effect(
  TokenGenerator,
  Effect.gen(function* () {
    const counter = yield* Ref.make(0);
    const hash = (token: string) => `h:${token}`;
    return TokenGenerator.of({
      next: (prefix) =>
        Ref.modify(counter, (n) => {
          const token = `${prefix}_${n + 1}`;
          return [{ token, hash: hash(token) }, n + 1];
        }),
      hash,
    });
  }),
);

/** The transaction the current fiber runs in, if any: the lock of the transactor that opened it. */
const CurrentTransaction = Context.Reference<Semaphore.Semaphore | null>("@admit/domain/testing/CurrentTransaction", {
  defaultValue: () => null,
});

/**
 * Runs transactions one at a time and rolls the store back to its state at the start when the
 * effect fails (or is interrupted) or the commit fails. Inside a transaction, `withTransaction`
 * joins it.
 */
export const TransactorTest = Layer.effect(
  Transactor,
  Effect.gen(function* () {
    const store = yield* Store;
    const lock = yield* Semaphore.make(1);
    return Transactor.of({
      withTransaction: (self) =>
        Effect.gen(function* () {
          if ((yield* CurrentTransaction) === lock) return yield* self;
          return yield* lock.withPermit(
            Effect.gen(function* () {
              const before = yield* Ref.get(store.state);
              const rollback = Ref.set(store.state, before);
              const result = yield* Effect.onError(
                Effect.provideService(self, CurrentTransaction, lock),
                () => rollback,
              );
              yield* Effect.onError(guard(store, "Transactor.commit"), () => rollback);
              return result;
            }),
          );
        }),
    });
  }),
);

export const TargetRepositoryTest = Layer.effect(
  TargetRepository,
  Effect.gen(function* () {
    const r = read(yield* Store);
    return TargetRepository.of({
      resolve: (targets) =>
        r("TargetRepository.resolve", (s) =>
          uniqueTargets(targets).flatMap((t): ReadonlyArray<ResolvedTarget> => {
            const organizationId = ownerOf(s, t);
            return organizationId === undefined ? [] : [{ ...t, organizationId }];
          }),
        ),
      describe: (targets) =>
        r("TargetRepository.describe", (s) => {
          const organization = (id: string | null | undefined) => {
            const org = s.organizations.find((o) => o.id === id);
            return org ? { id: org.id, name: org.name } : null;
          };
          const described = new Map<string, TargetDescription>();
          for (const t of uniqueTargets(targets)) {
            const row =
              t.type === "organization"
                ? s.organizations.find((o) => o.id === t.id)
                : t.type === "website"
                  ? s.websites.find((x) => x.id === t.id)
                  : s.groups.find((g) => g.id === t.id);
            if (row !== undefined)
              described.set(targetKey(t), { name: row.name, organization: organization(ownerOf(s, t)) });
          }
          return described as ReadonlyMap<string, TargetDescription>;
        }),
    });
  }),
);

export const UserRepositoryTest = Layer.effect(
  UserRepository,
  Effect.gen(function* () {
    const store = yield* Store;
    const ids = yield* IdGenerator;
    const r = read(store);
    const w = write(store);
    return UserRepository.of({
      findOrCreate: (user) =>
        Effect.flatMap(ids.next, (newId) =>
          w<{ readonly id: string; readonly created: boolean }>("UserRepository.findOrCreate", (s, at) => {
            const email = normalizedEmail(user.email);
            const existing = s.users.find((u) => u.email === email);
            if (existing) return [{ id: existing.id, created: false }, withNames(s, existing, user)];
            const created: UserRow = {
              id: newId,
              email,
              firstName: user.firstName,
              lastName: user.lastName,
              emailVerified: false,
              createdAt: at,
            };
            return [
              { id: newId, created: true },
              { ...s, users: [...s.users, created] },
            ];
          }),
        ),
      findIdByEmail: (email) =>
        r("UserRepository.findIdByEmail", (s) => s.users.find((u) => u.email === email)?.id ?? null),
      findOrCreateVerified: (user) =>
        Effect.flatMap(ids.next, (newId) =>
          w<{ readonly id: string }>("UserRepository.findOrCreateVerified", (s, at) => {
            const email = normalizedEmail(user.email);
            const existing = s.users.find((u) => u.email === email);
            if (existing) {
              const verified = { ...existing, emailVerified: true };
              const next = { ...s, users: s.users.map((u) => (u.id === existing.id ? verified : u)) };
              return [{ id: existing.id }, withNames(next, verified, user)];
            }
            const created: UserRow = {
              id: newId,
              email,
              firstName: user.firstName,
              lastName: user.lastName,
              emailVerified: true,
              createdAt: at,
            };
            return [{ id: newId }, { ...s, users: [...s.users, created] }];
          }),
        ),
      get: (id) =>
        r("UserRepository.get", (s) => {
          const user = s.users.find((u) => u.id === id);
          return user ? userView(user) : null;
        }),
      findOrCreateMany: (emails) =>
        Effect.flatMap(
          Effect.forEach(emails, () => ids.next),
          (newIds) =>
            w("UserRepository.findOrCreateMany", (s, at) => {
              // One upsert statement cannot touch a row twice: duplicates are the caller's bug.
              if (new Set(emails).size !== emails.length)
                throw new Error("users: one statement upserts an email twice");
              let users = s.users;
              const found = emails.map((raw, i) => {
                const email = normalizedEmail(raw);
                const existing = users.find((u) => u.email === email);
                if (existing) return { id: existing.id, email };
                const id = newIds[i] as string;
                users = [...users, { id, email, firstName: null, lastName: null, emailVerified: false, createdAt: at }];
                return { id, email };
              });
              return [found, { ...s, users }];
            }),
        ),
    });
  }),
);

export const MembershipRepositoryTest = Layer.effect(
  MembershipRepository,
  Effect.gen(function* () {
    const store = yield* Store;
    const r = read(store);
    const w = write(store);
    return MembershipRepository.of({
      addMany: (userId, targets, role, sso) =>
        w("MembershipRepository.addMany", (s, at) => {
          if (!s.users.some((u) => u.id === userId)) throw new Error(`memberships.user_id: no user ${userId}`);
          const added = uniqueTargets(targets).filter(
            (t) => !s.memberships.some((m) => m.userId === userId && sameTarget(m.target, t)),
          );
          const rows = added.map((target): MembershipRow => ({ userId, target, role, sso, createdAt: at }));
          return [added, { ...s, memberships: [...s.memberships, ...rows] }];
        }),
      addUsers: (target, members) =>
        w("MembershipRepository.addUsers", (s, at) => {
          const missing = members.filter((m) => !s.users.some((u) => u.id === m.userId));
          if (missing.length > 0) {
            throw new Error(`memberships.user_id: no user ${missing.map((m) => m.userId).join(", ")}`);
          }
          const rows: MembershipRow[] = [];
          for (const m of members) {
            const taken = [...s.memberships, ...rows].some(
              (x) => x.userId === m.userId && sameTarget(x.target, target),
            );
            if (!taken) {
              rows.push({
                userId: m.userId,
                target: { type: target.type, id: target.id },
                role: m.role,
                sso: m.sso,
                createdAt: at,
              });
            }
          }
          return [rows.map((m) => m.userId), { ...s, memberships: [...s.memberships, ...rows] }];
        }),
      inOtherOrganizations: (userIds, organizationId) =>
        r("MembershipRepository.inOtherOrganizations", (s) =>
          [...new Set(userIds)].filter((userId) =>
            s.memberships.some(
              (m) => m.userId === userId && m.target.type === "organization" && m.target.id !== organizationId,
            ),
          ),
        ),
      memberTargetsByEmail: (email, targets) =>
        r("MembershipRepository.memberTargetsByEmail", (s) => {
          const user = s.users.find((u) => u.email === email);
          if (!user) return [];
          return uniqueTargets(targets).filter((t) =>
            s.memberships.some((m) => m.userId === user.id && sameTarget(m.target, t)),
          );
        }),
      effectiveRoles: (userId, targets) =>
        r("MembershipRepository.effectiveRoles", (s) => {
          const roleOn = (t: Target) => s.memberships.find((m) => m.userId === userId && sameTarget(m.target, t))?.role;
          const roles = new Map<string, Role>();
          for (const t of targets) {
            const own = roleOn(t);
            const viaOrganization =
              t.type === "website" && t.organizationId !== null
                ? roleOn({ type: "organization", id: t.organizationId })
                : undefined;
            const best = highestRole([own, viaOrganization].filter((x): x is Role => x !== undefined));
            if (best !== null) roles.set(targetKey(t), best);
          }
          return roles as ReadonlyMap<string, Role>;
        }),
      list: (target, page) =>
        r("MembershipRepository.list", (s) => {
          const members = s.memberships
            .filter((m) => sameTarget(m.target, target))
            .flatMap((m) => {
              const view = memberView(s, m);
              return view ? [{ id: view.userId, view }] : [];
            });
          const p = paginate(members, page);
          return { items: p.items.map((m) => m.view), nextCursor: p.nextCursor };
        }),
      roleOf: (target, userId) =>
        r(
          "MembershipRepository.roleOf",
          (s) => s.memberships.find((m) => m.userId === userId && sameTarget(m.target, target))?.role ?? null,
        ),
      updateRole: (target, userId, role) =>
        w("MembershipRepository.updateRole", (s) => {
          const existing = s.memberships.find((m) => m.userId === userId && sameTarget(m.target, target));
          if (!existing) return [null, s];
          const updated = { ...existing, role };
          const next = { ...s, memberships: s.memberships.map((m) => (m === existing ? updated : m)) };
          return [memberView(next, updated), next];
        }),
      remove: (target, userId) =>
        w("MembershipRepository.remove", (s) => {
          const kept = s.memberships.filter((m) => m.userId !== userId || !sameTarget(m.target, target));
          return [kept.length < s.memberships.length, { ...s, memberships: kept }];
        }),
    });
  }),
);

export const InviteRepositoryTest = Layer.effect(
  InviteRepository,
  Effect.gen(function* () {
    const store = yield* Store;
    const r = read(store);
    const w = write(store);
    return InviteRepository.of({
      upsertPending: (invites) =>
        w("InviteRepository.upsertPending", (s, at) => {
          let rows = [...s.invites];
          const ids = invites.map((invite) => {
            const email = invite.email;
            const index = rows.findIndex(
              (row) => row.status === "pending" && row.email === email && sameTarget(row.target, invite.target),
            );
            const fields = {
              role: invite.role,
              deliveryId: invite.deliveryId,
              inviter: invite.inviter,
              firstName: invite.firstName,
              lastName: invite.lastName,
              expiresAt: invite.expiresAt,
              updatedAt: at,
            };
            const existing = rows[index];
            if (existing !== undefined) {
              rows = rows.map((row, i) => (i === index ? { ...existing, ...fields } : row));
              return existing.id;
            }
            if (rows.some((row) => row.id === invite.id)) throw new Error(`invites.id: duplicate ${invite.id}`);
            rows = [
              ...rows,
              {
                id: invite.id,
                email,
                target: invite.target,
                status: "pending",
                respondedBy: null,
                createdAt: at,
                ...fields,
              },
            ];
            return invite.id;
          });
          return [ids, { ...s, invites: rows }];
        }),
      get: (id) =>
        r("InviteRepository.get", (s) => {
          const row = s.invites.find((i) => i.id === id);
          return row ? inviteRecord(s, row) : null;
        }),
      list: (filter, page) =>
        r("InviteRepository.list", (s) => {
          const p = paginateNewestFirst(
            s.invites.filter((row) => matchesFilter(row, filter)),
            page,
          );
          return { items: p.items.map((row) => inviteRecord(s, row)), nextCursor: p.nextCursor };
        }),
      findByTokenHash: (tokenHash) =>
        r("InviteRepository.findByTokenHash", (s) => {
          const delivery = s.deliveries.find((d) => d.tokenHash === tokenHash);
          if (!delivery) return null;
          const invites = s.invites.filter((i) => i.deliveryId === delivery.id).map((row) => inviteRecord(s, row));
          return { email: delivery.email, invites };
        }),
      respond: (ids, status, userId) =>
        w("InviteRepository.respond", (s, at) => [
          undefined,
          {
            ...s,
            invites: s.invites.map((i) =>
              ids.includes(i.id) && i.status === "pending" ? { ...i, status, respondedBy: userId, updatedAt: at } : i,
            ),
          },
        ]),
      redeliver: (id, deliveryId, expiresAt) =>
        w("InviteRepository.redeliver", (s, at) => [
          undefined,
          {
            ...s,
            invites: s.invites.map((i) => (i.id === id ? { ...i, deliveryId, expiresAt, updatedAt: at } : i)),
          },
        ]),
    });
  }),
);

export const DeliveryRepositoryTest = Layer.effect(
  DeliveryRepository,
  Effect.gen(function* () {
    const store = yield* Store;
    const r = read(store);
    const w = write(store);
    return DeliveryRepository.of({
      enqueue: (delivery) =>
        w("DeliveryRepository.enqueue", (s, at) => {
          if (s.deliveries.some((d) => d.id === delivery.id)) {
            throw new Error(`deliveries.id: duplicate ${delivery.id}`);
          }
          if (s.deliveries.some((d) => d.tokenHash === delivery.tokenHash)) {
            throw new Error("deliveries.token_hash: duplicate");
          }
          const row: DeliveryRow = {
            ...delivery,
            email: delivery.email,
            status: "queued",
            lastError: null,
            createdAt: at,
          };
          return [undefined, { ...s, deliveries: [...s.deliveries, row] }];
        }),
      countResends: (email, since) =>
        r(
          "DeliveryRepository.countResends",
          (s) =>
            s.deliveries.filter(
              (d) => d.kind === "resend" && d.email === email && d.createdAt.getTime() >= since.getTime(),
            ).length,
        ),
    });
  }),
);

export const UserTokenRepositoryTest = Layer.effect(
  UserTokenRepository,
  Effect.gen(function* () {
    const store = yield* Store;
    const r = read(store);
    const w = write(store);
    return UserTokenRepository.of({
      create: (token) =>
        w("UserTokenRepository.create", (s) => {
          if (!s.users.some((u) => u.id === token.userId))
            throw new Error(`user_tokens.user_id: no user ${token.userId}`);
          if (s.userTokens.some((t) => t.tokenHash === token.tokenHash))
            throw new Error("user_tokens.token_hash: duplicate");
          return [undefined, { ...s, userTokens: [...s.userTokens, { ...token }] }];
        }),
      findUser: (tokenHash, now) =>
        r("UserTokenRepository.findUser", (s) => {
          const token = s.userTokens.find((t) => t.tokenHash === tokenHash && t.expiresAt.getTime() > now.getTime());
          const user = token && s.users.find((u) => u.id === token.userId);
          return user ? userView(user) : null;
        }),
    });
  }),
);

export const TenancyRepositoryTest = Layer.effect(
  TenancyRepository,
  Effect.gen(function* () {
    const store = yield* Store;
    const r = read(store);
    const w = write(store);
    return TenancyRepository.of({
      createOrganization: (org) =>
        w("TenancyRepository.createOrganization", (s, at) => {
          const row: OrganizationView = { id: org.id, name: org.name, createdAt: at };
          return [row, { ...s, organizations: [...s.organizations, row] }];
        }),
      getOrganization: (id) =>
        r("TenancyRepository.getOrganization", (s) => s.organizations.find((o) => o.id === id) ?? null),
      listOrganizations: (page, onlyId) =>
        r("TenancyRepository.listOrganizations", (s) =>
          paginate(
            s.organizations.filter((o) => onlyId === null || o.id === onlyId),
            page,
          ),
        ),
      createWebsite: (site) =>
        w("TenancyRepository.createWebsite", (s, at) => {
          if (!s.organizations.some((o) => o.id === site.organizationId)) {
            throw new Error(`websites.organization_id: no organization ${site.organizationId}`);
          }
          const row: WebsiteView = { ...site, createdAt: at };
          return [row, { ...s, websites: [...s.websites, row] }];
        }),
      getWebsite: (id) => r("TenancyRepository.getWebsite", (s) => s.websites.find((x) => x.id === id) ?? null),
      listWebsites: (organizationId, page) =>
        r("TenancyRepository.listWebsites", (s) =>
          paginate(
            s.websites.filter((x) => x.organizationId === organizationId),
            page,
          ),
        ),
      createGroup: (group) =>
        w("TenancyRepository.createGroup", (s, at) => {
          const row: GroupView = { id: group.id, name: group.name, createdAt: at };
          return [row, { ...s, groups: [...s.groups, row] }];
        }),
      getGroup: (id) =>
        r("TenancyRepository.getGroup", (s) => {
          const group = s.groups.find((g) => g.id === id);
          return group ? groupDetail(s, group) : null;
        }),
      listGroups: (page) => r("TenancyRepository.listGroups", (s) => paginate(s.groups, page)),
      existingWebsites: (ids) =>
        r("TenancyRepository.existingWebsites", (s) =>
          [...new Set(ids)].filter((id) => s.websites.some((x) => x.id === id)),
        ),
      addGroupWebsites: (groupId, websiteIds) =>
        w("TenancyRepository.addGroupWebsites", (s) => {
          if (!s.groups.some((g) => g.id === groupId)) throw new Error(`group_websites.group_id: no group ${groupId}`);
          const missing = websiteIds.filter((id) => !s.websites.some((x) => x.id === id));
          if (missing.length > 0) throw new Error(`group_websites.website_id: no website ${missing.join(", ")}`);
          const fresh = [...new Set(websiteIds)]
            .filter((websiteId) => !s.groupWebsites.some((gw) => gw.groupId === groupId && gw.websiteId === websiteId))
            .map((websiteId) => ({ groupId, websiteId }));
          return [undefined, { ...s, groupWebsites: [...s.groupWebsites, ...fresh] }];
        }),
      removeGroupWebsites: (groupId, websiteIds) =>
        w("TenancyRepository.removeGroupWebsites", (s) => [
          undefined,
          {
            ...s,
            groupWebsites: s.groupWebsites.filter((gw) => gw.groupId !== groupId || !websiteIds.includes(gw.websiteId)),
          },
        ]),
    });
  }),
);

export const ApiKeyRepositoryTest = Layer.effect(
  ApiKeyRepository,
  Effect.gen(function* () {
    const store = yield* Store;
    const r = read(store);
    const w = write(store);
    return ApiKeyRepository.of({
      create: (key) =>
        w("ApiKeyRepository.create", (s, at) => {
          if (key.kind === "organization" && !s.organizations.some((o) => o.id === key.organizationId)) {
            throw new Error(`api_keys.organization_id: no organization ${key.organizationId}`);
          }
          if (s.apiKeys.some((k) => k.secretHash === key.secretHash))
            throw new Error("api_keys.secret_hash: duplicate");
          const row: ApiKeyRow = { ...key, createdAt: at, revokedAt: null };
          return [publicKey(row), { ...s, apiKeys: [...s.apiKeys, row] }];
        }),
      findActiveByHash: (secretHash) =>
        r("ApiKeyRepository.findActiveByHash", (s) => {
          const key = s.apiKeys.find((k) => k.secretHash === secretHash && k.revokedAt === null);
          return key ? publicKey(key) : null;
        }),
      get: (id) =>
        r("ApiKeyRepository.get", (s) => {
          const key = s.apiKeys.find((k) => k.id === id);
          return key ? publicKey(key) : null;
        }),
      list: (organizationId, page) =>
        r("ApiKeyRepository.list", (s) =>
          paginate(
            s.apiKeys.filter((k) => organizationId === null || k.organizationId === organizationId).map(publicKey),
            page,
          ),
        ),
      revoke: (id) =>
        w("ApiKeyRepository.revoke", (s, at) => {
          const key = s.apiKeys.find((k) => k.id === id);
          if (!key) return [null, s];
          // Idempotent: revoking again keeps the first revocation time.
          const revoked: ApiKeyRow = { ...key, revokedAt: key.revokedAt ?? at };
          return [publicKey(revoked), { ...s, apiKeys: s.apiKeys.map((k) => (k.id === id ? revoked : k)) }];
        }),
    });
  }),
);

const linkRecord = ({ codeHash: _, revokedAt: __, updatedAt: ___, ...record }: LinkInviteRow): LinkInviteRecord =>
  record;

/** The `link_invites` checks: `max_uses > 0` and `uses <= max_uses`. */
const checkedLink = (row: LinkInviteRow): LinkInviteRow => {
  if (row.maxUses !== null && row.maxUses <= 0) throw new Error("link_invites.max_uses: check violated");
  if (row.maxUses !== null && row.uses > row.maxUses) throw new Error("link_invites: check uses <= max_uses violated");
  return row;
};

export const LinkInviteRepositoryTest = Layer.effect(
  LinkInviteRepository,
  Effect.gen(function* () {
    const store = yield* Store;
    const r = read(store);
    const w = write(store);
    const live = (s: StoreState, organizationId: string, id: string) =>
      s.linkInvites.find((l) => l.id === id && l.organizationId === organizationId && l.revokedAt === null);
    const replace = (s: StoreState, row: LinkInviteRow): StoreState => ({
      ...s,
      linkInvites: s.linkInvites.map((l) => (l.id === row.id ? row : l)),
    });
    return LinkInviteRepository.of({
      create: (link) =>
        w("LinkInviteRepository.create", (s, at) => {
          if (!s.organizations.some((o) => o.id === link.organizationId)) {
            throw new Error(`link_invites.organization_id: no organization ${link.organizationId}`);
          }
          if (s.linkInvites.some((l) => l.id === link.id)) throw new Error(`link_invites.id: duplicate ${link.id}`);
          if (s.linkInvites.some((l) => l.codeHash === link.codeHash)) {
            throw new Error("link_invites.code_hash: duplicate");
          }
          const row = checkedLink({
            ...link,
            allowedEmailDomains: [...link.allowedEmailDomains],
            uses: 0,
            disabled: false,
            createdAt: at,
            updatedAt: at,
            revokedAt: null,
          });
          return [linkRecord(row), { ...s, linkInvites: [...s.linkInvites, row] }];
        }),
      // Row locks are not modelled: transactions already run one at a time.
      get: (organizationId, id) =>
        r("LinkInviteRepository.get", (s) => {
          const row = live(s, organizationId, id);
          return row ? linkRecord(row) : null;
        }),
      lockByCodeHash: (organizationId, codeHash) =>
        r("LinkInviteRepository.lockByCodeHash", (s) => {
          const row = s.linkInvites.find(
            (l) => l.codeHash === codeHash && l.organizationId === organizationId && l.revokedAt === null,
          );
          return row ? linkRecord(row) : null;
        }),
      list: (organizationId, page) =>
        r("LinkInviteRepository.list", (s) => {
          const p = paginateNewestFirst(
            s.linkInvites.filter((l) => l.organizationId === organizationId && l.revokedAt === null),
            page,
          );
          return { items: p.items.map(linkRecord), nextCursor: p.nextCursor };
        }),
      update: (organizationId, id, changes) =>
        w("LinkInviteRepository.update", (s, at) => {
          const row = live(s, organizationId, id);
          if (!row) return [null, s];
          const updated = checkedLink({
            ...row,
            ...(changes.role !== undefined ? { role: changes.role } : {}),
            ...(changes.expiresAt !== undefined ? { expiresAt: changes.expiresAt } : {}),
            ...(changes.maxUses !== undefined ? { maxUses: changes.maxUses } : {}),
            ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
            updatedAt: at,
          });
          return [linkRecord(updated), replace(s, updated)];
        }),
      countUse: (id) =>
        w("LinkInviteRepository.countUse", (s, at) => {
          const row = s.linkInvites.find((l) => l.id === id);
          if (!row) return [undefined, s];
          return [undefined, replace(s, checkedLink({ ...row, uses: row.uses + 1, updatedAt: at }))];
        }),
      revoke: (organizationId, id) =>
        w("LinkInviteRepository.revoke", (s, at) => {
          const row = live(s, organizationId, id);
          if (!row) return [false, s];
          return [true, replace(s, { ...row, revokedAt: at, updatedAt: at })];
        }),
    });
  }),
);

/** The repositories and the transactor, over one store; needs `Store` and `IdGenerator`. */
export const layerRepositories = Layer.mergeAll(
  TransactorTest,
  TargetRepositoryTest,
  UserRepositoryTest,
  MembershipRepositoryTest,
  InviteRepositoryTest,
  DeliveryRepositoryTest,
  TenancyRepositoryTest,
  ApiKeyRepositoryTest,
  UserTokenRepositoryTest,
  LinkInviteRepositoryTest,
);

/** Every port over one fresh, empty store, plus the `Store` itself for reading and seeding. */
export const layerTest = layerRepositories.pipe(
  Layer.provideMerge(Layer.mergeAll(Store.layer, IdGeneratorTest, TokenGeneratorTest)),
);

/** Everything `layerTest` provides. */
export type Services = Layer.Success<typeof layerTest>;

// ---------------------------------------------------------------------------------------------
// Seeding: writes straight into the store, bypassing the rules, to set up a world.
// ---------------------------------------------------------------------------------------------

const seed = <A>(f: (s: StoreState, at: Date) => readonly [A, StoreState]): Effect.Effect<A, never, Store> =>
  Effect.gen(function* () {
    const store = yield* Store;
    const at = yield* now;
    return yield* Ref.modify(store.state, (s) => f(s, at));
  });

const idOr = (id: string | undefined) =>
  id === undefined ? Effect.flatMap(Effect.service(IdGenerator), (g) => g.next) : Effect.succeed(id);

export const seedOrganization = (options: { readonly id?: string; readonly name?: string } = {}) =>
  Effect.flatMap(idOr(options.id), (id) =>
    seed((s, at) => {
      const row: OrganizationView = { id, name: options.name ?? `Organization ${id}`, createdAt: at };
      return [row, { ...s, organizations: [...s.organizations, row] }];
    }),
  );

export const seedWebsite = (
  organizationId: string,
  options: { readonly id?: string; readonly name?: string; readonly url?: string | null } = {},
) =>
  Effect.flatMap(idOr(options.id), (id) =>
    seed((s, at) => {
      const row: WebsiteView = {
        id,
        organizationId,
        name: options.name ?? `Website ${id}`,
        url: options.url ?? null,
        createdAt: at,
      };
      return [row, { ...s, websites: [...s.websites, row] }];
    }),
  );

export const seedGroup = (
  options: { readonly id?: string; readonly name?: string; readonly websiteIds?: ReadonlyArray<string> } = {},
) =>
  Effect.flatMap(idOr(options.id), (id) =>
    seed((s, at) => {
      const row: GroupView = { id, name: options.name ?? `Group ${id}`, createdAt: at };
      const links: ReadonlyArray<GroupWebsiteRow> = (options.websiteIds ?? []).map((websiteId) => ({
        groupId: id,
        websiteId,
      }));
      return [
        groupDetail({ ...s, groupWebsites: links }, row),
        { ...s, groups: [...s.groups, row], groupWebsites: [...s.groupWebsites, ...links] },
      ];
    }),
  );

export const seedUser = (options: {
  readonly email: string;
  readonly id?: string;
  readonly firstName?: string | null;
  readonly lastName?: string | null;
  readonly emailVerified?: boolean;
}) =>
  Effect.flatMap(idOr(options.id), (id) =>
    seed((s, at) => {
      const row: UserRow = {
        id,
        email: normalizeEmail(options.email),
        firstName: options.firstName ?? null,
        lastName: options.lastName ?? null,
        emailVerified: options.emailVerified ?? false,
        createdAt: at,
      };
      return [row, { ...s, users: [...s.users, row] }];
    }),
  );

export const seedMembership = (userId: string, target: Target, role: Role, sso = false) =>
  seed((s, at) => {
    const row: MembershipRow = { userId, target: { type: target.type, id: target.id }, role, sso, createdAt: at };
    return [row, { ...s, memberships: [...s.memberships, row] }];
  });

/** An API key with a fresh secret from the `TokenGenerator`; answers the view and the secret. */
export const seedApiKey = (options: {
  readonly kind: ApiKeyKind;
  readonly organizationId?: string | null;
  readonly name?: string;
  readonly id?: string;
}) =>
  Effect.gen(function* () {
    const id = yield* idOr(options.id);
    const secret = yield* (yield* TokenGenerator).next("admit_sk");
    const row: ApiKeyRow = {
      id,
      kind: options.kind,
      organizationId: options.organizationId ?? null,
      name: options.name ?? `Key ${id}`,
      secretHash: secret.hash,
      createdAt: yield* now,
      revokedAt: null,
    };
    yield* seed((s) => [undefined, { ...s, apiKeys: [...s.apiKeys, row] }]);
    return { key: publicKey(row), secret: secret.token };
  });

/** A link invite with a fresh join code from the `TokenGenerator`; answers the link and the code. */
export const seedLinkInvite = (
  organizationId: string,
  options: {
    readonly id?: string;
    readonly role?: Role;
    readonly sso?: boolean;
    readonly expiresAt?: Date | null;
    readonly maxUses?: number | null;
    readonly uses?: number;
    readonly allowedEmailDomains?: ReadonlyArray<string>;
    readonly disabled?: boolean;
    readonly createdBy?: Inviter;
    readonly revoked?: boolean;
  } = {},
) =>
  Effect.gen(function* () {
    const id = yield* idOr(options.id);
    const code = yield* (yield* TokenGenerator).next("lnk");
    const at = yield* now;
    const row: LinkInviteRow = {
      id,
      organizationId,
      role: options.role ?? "read",
      sso: options.sso ?? false,
      expiresAt: options.expiresAt ?? null,
      maxUses: options.maxUses ?? null,
      uses: options.uses ?? 0,
      allowedEmailDomains: options.allowedEmailDomains ?? [],
      disabled: options.disabled ?? false,
      createdBy: options.createdBy ?? { kind: "root", id: null, name: "Admit" },
      createdAt: at,
      codeHash: code.hash,
      revokedAt: options.revoked ? at : null,
      updatedAt: at,
    };
    yield* seed((s) => [undefined, { ...s, linkInvites: [...s.linkInvites, row] }]);
    return { link: linkRecord(row), code: code.token };
  });

/**
 * The store behind the in-memory implementations of every domain port, and the helpers they share.
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
import { Clock, Context, Effect, Layer, Ref, Result } from "effect";
import type { Inviter } from "../../access/Principal.ts";
import type { Role } from "../../access/Role.ts";
import type { DeliveryOutbox } from "../../deliveries/DeliveryOutbox.ts";
import type { DeliveryReportRepository } from "../../deliveries/DeliveryReportRepository.ts";
import type { DeliveryRepository } from "../../deliveries/DeliveryRepository.ts";
import { RepositoryError } from "../../errors/Errors.ts";
import type { EventRecord } from "../../events/Event.ts";
import type { EventLog } from "../../events/EventLog.ts";
import type { DirectInviteStore } from "../../invites/DirectInviteStore.ts";
import type { EmailInviteStore } from "../../invites/EmailInviteStore.ts";
import type { ExpiredInvites } from "../../invites/ExpiredInvites.ts";
import {
  type DeliveryBounce,
  type DeliveryStatus,
  type InviteRecord,
  type StoredInviteStatus,
  statusAt,
} from "../../invites/Invite.ts";
import type { InviteAnswerStore } from "../../invites/InviteAnswerStore.ts";
import type { InviteFilter, InviteRepository } from "../../invites/InviteRepository.ts";
import type { LinkInviteRecord, LinkInviteRepository } from "../../links/LinkInviteRepository.ts";
import type { MembershipRepository, MemberView, Page, PageRequest } from "../../members/MembershipRepository.ts";
import { normalizeEmail } from "../../shared/Email.ts";
import { type ResolvedTarget, TARGETS, type Target, type TargetType, targetKey } from "../../targets/Target.ts";
import type { TargetRepository } from "../../targets/TargetRepository.ts";
import type { ApiKeyRepository, ApiKeyView } from "../../tenancy/ApiKeyRepository.ts";
import type { GroupView, OrganizationView, TenancyRepository, WebsiteView } from "../../tenancy/TenancyRepository.ts";
import type { UserRepository, UserView } from "../../users/UserRepository.ts";
import type { UserTokenRepository } from "../../users/UserTokenRepository.ts";
import type { WebhookAttempt, WebhookEndpoint, WebhookRepository } from "../../webhooks/WebhookRepository.ts";

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
  readonly redirectUrl: string | null;
  readonly locale: string | null;
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
  /** Not before this time (a paced email). */
  readonly startAfter?: Date | undefined;
  readonly sentAt?: Date | null;
  /** Send attempts recorded so far (none when absent). */
  readonly attempts?: number;
  /** The provider's id of the accepted message, which its reports name. */
  readonly providerMessageId?: string | null;
  /** When the provider says the last state it reported happened. */
  readonly reportedAt?: Date | null;
  /** The last bounce reported; a later complaint keeps it. */
  readonly bounce?: DeliveryBounce | null;
}

export interface UserTokenRow {
  readonly id: string;
  readonly userId: string;
  readonly tokenHash: string;
  readonly expiresAt: Date;
}

export interface LinkInviteRow extends Omit<LinkInviteRecord, "code"> {
  readonly codeHash: string;
  /** The join code sealed (here: reversed, as a stand-in for encryption); never in clear. */
  readonly codeSealed: string | null;
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
  readonly emailQuotaWindows: ReadonlyArray<EmailQuotaWindowRow>;
  /** Organizations' own hourly email limits, by organization id. */
  readonly emailQuotaLimits: Readonly<Record<string, number>>;
  /** The event log, in the order written. */
  readonly events: ReadonlyArray<EventRecord>;
  /** `<invite id>@<expiry ms>` of each expiry recorded (`invite.expired`): a new expiry is due again. */
  readonly expiryRecorded: ReadonlyArray<string>;
  readonly webhooks: ReadonlyArray<WebhookRow>;
  readonly webhookAttempts: ReadonlyArray<WebhookAttempt & { readonly webhookId: string }>;
}

export interface EmailQuotaWindowRow {
  readonly organizationId: string;
  readonly windowStartedAt: Date;
  readonly used: number;
}

export interface WebhookRow extends WebhookEndpoint {
  /** Kept in clear here; the PostgreSQL adapter seals it. */
  readonly secret: string;
  readonly previousSecret: string | null;
  readonly previousSecretExpiresAt: Date | null;
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
  emailQuotaWindows: [],
  emailQuotaLimits: {},
  events: [],
  expiryRecorded: [],
  webhooks: [],
  webhookAttempts: [],
};

type OperationsOf<Name extends string, S> = `${Name}.${Extract<keyof S, string>}`;

/** Every port operation by name, plus the commit of a transaction: the places a fault can be injected. */
export type Operation =
  | OperationsOf<"InviteAnswerStore", InviteAnswerStore["Service"]>
  | OperationsOf<"ApiKeyRepository", ApiKeyRepository["Service"]>
  | OperationsOf<"DeliveryOutbox", DeliveryOutbox["Service"]>
  | OperationsOf<"DeliveryReportRepository", DeliveryReportRepository["Service"]>
  | OperationsOf<"DeliveryRepository", DeliveryRepository["Service"]>
  | OperationsOf<"DirectInviteStore", DirectInviteStore["Service"]>
  | OperationsOf<"EmailInviteStore", EmailInviteStore["Service"]>
  | OperationsOf<"InviteRepository", InviteRepository["Service"]>
  | OperationsOf<"LinkInviteRepository", LinkInviteRepository["Service"]>
  | OperationsOf<"MembershipRepository", MembershipRepository["Service"]>
  | OperationsOf<"TargetRepository", TargetRepository["Service"]>
  | OperationsOf<"TenancyRepository", TenancyRepository["Service"]>
  | OperationsOf<"UserRepository", UserRepository["Service"]>
  | OperationsOf<"UserTokenRepository", UserTokenRepository["Service"]>
  | OperationsOf<"EventLog", EventLog["Service"]>
  | OperationsOf<"ExpiredInvites", ExpiredInvites["Service"]>
  | OperationsOf<"WebhookRepository", WebhookRepository["Service"]>
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

export const guard = (store: Store["Service"], operation: Operation): Effect.Effect<void, RepositoryError> =>
  Effect.flatMap(Ref.get(store.faults), (faults) =>
    faults.has(operation) ? Effect.fail(injectedFault(operation)) : Effect.void,
  );

export const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms));

/** Reads the store after the fault check. */
export const read =
  (store: Store["Service"]) =>
  <A>(operation: Operation, f: (s: StoreState) => A): Effect.Effect<A, RepositoryError> =>
    guard(store, operation).pipe(Effect.andThen(Ref.get(store.state)), Effect.map(f));

/** Updates the store atomically; `f` throwing (a broken constraint) is a `RepositoryError`, writing nothing. */
export const write =
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

/**
 * An adapter over the store whose operations only read and write it: `make` gets the guarded
 * `read` (`r`) and atomic `write` (`w`).
 */
export const storeAdapter = <I, S>(
  service: Context.Key<I, S>,
  make: (store: { readonly r: ReturnType<typeof read>; readonly w: ReturnType<typeof write> }) => S,
): Layer.Layer<I, never, Store> =>
  Layer.effect(
    service,
    Effect.map(Effect.service(Store), (store) => make({ r: read(store), w: write(store) })),
  );

export const sameTarget = (a: Target, b: Target) => a.type === b.type && a.id === b.id;

export const uniqueTargets = (targets: ReadonlyArray<Target>): ReadonlyArray<Target> => {
  const seen = new Map<string, Target>();
  for (const t of targets) if (!seen.has(targetKey(t))) seen.set(targetKey(t), { type: t.type, id: t.id });
  return [...seen.values()];
};

/** The organization owning an existing target (itself for an organization, none for a group); undefined when missing. */
export const ownerOf = (s: StoreState, t: Target): string | null | undefined => {
  const row = rowsOf(s, t.type).find((x) => x.id === t.id);
  if (row === undefined) return undefined;
  const owner = TARGETS[t.type].owner;
  return owner === "itself" ? row.id : owner === "organization" ? (row.organizationId ?? null) : null;
};

/** The rows of each kind of target, as the database's table of targets names their tables. */
const TARGET_ROWS: Record<
  TargetType,
  (s: StoreState) => ReadonlyArray<{ readonly id: string; readonly name: string; readonly organizationId?: string }>
> = {
  organization: (s) => s.organizations,
  website: (s) => s.websites,
  group: (s) => s.groups,
};

export const rowsOf = (s: StoreState, type: TargetType) => TARGET_ROWS[type](s);

export const publicKey = ({ secretHash: _, ...view }: ApiKeyRow): ApiKeyView => view;

export const groupDetail = (s: StoreState, group: GroupView) => ({
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

export const userView = ({ createdAt: _, ...view }: UserRow): UserView => view;

/** Names only fill in what the user did not have yet. */
export const withNames = (
  s: StoreState,
  user: UserRow,
  names: { readonly firstName: string | null; readonly lastName: string | null },
): StoreState => {
  const named = { ...user, firstName: user.firstName ?? names.firstName, lastName: user.lastName ?? names.lastName };
  return { ...s, users: s.users.map((u) => (u.id === user.id ? named : u)) };
};

/** The `users.email` check: only normalized addresses are stored. */
export const normalizedEmail = (email: string): string => {
  if (email !== normalizeEmail(email) || email.length < 3 || email.length > 254) {
    throw new Error(`users.email: check violated by ${JSON.stringify(email)}`);
  }
  return email;
};

export const memberView = (s: StoreState, m: MembershipRow): MemberView | null => {
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
    redirectUrl: row.redirectUrl,
    locale: row.locale,
    delivery: {
      id: row.deliveryId,
      status: delivery?.status ?? "queued",
      lastError: delivery?.lastError ?? null,
      bounce: delivery?.bounce ?? null,
    },
  };
};

export const matchesFilter = (s: StoreState, row: InviteRow, filter: InviteFilter): boolean =>
  (filter.deliveryStatus === undefined ||
    s.deliveries.find((d) => d.id === row.deliveryId)?.status === filter.deliveryStatus) &&
  (filter.organizationId === undefined || row.target.organizationId === filter.organizationId) &&
  (filter.websiteId === undefined || (row.target.type === "website" && row.target.id === filter.websiteId)) &&
  (filter.groupId === undefined || (row.target.type === "group" && row.target.id === filter.groupId)) &&
  (filter.email === undefined || row.email === filter.email) &&
  (filter.status === undefined || statusAt(row, filter.now.getTime()) === filter.status);

/** The in-memory stand-in for sealing: reversible, and the code never appears as such. */
export const sealCode = (code: string): string => `sealed:${[...code].reverse().join("")}`;
const openCode = (sealed: string | null): string | null =>
  sealed === null ? null : [...sealed.slice("sealed:".length)].reverse().join("");

export const linkRecord = ({
  codeHash: _,
  codeSealed,
  revokedAt: __,
  updatedAt: ___,
  ...record
}: LinkInviteRow): LinkInviteRecord => ({ ...record, code: openCode(codeSealed) });

/** The `link_invites` checks: `max_uses > 0` and `uses <= max_uses`. */
export const checkedLink = (row: LinkInviteRow): LinkInviteRow => {
  if (row.maxUses !== null && row.maxUses <= 0) throw new Error("link_invites.max_uses: check violated");
  if (row.maxUses !== null && row.uses > row.maxUses) throw new Error("link_invites: check uses <= max_uses violated");
  return row;
};

/**
 * The organizations of every invite that points at a delivery, in whatever state, each once (null
 * for a group's), ordered as the database's `json_agg(distinct …)` orders them: ids ascending,
 * null last.
 */
export const organizationsOf = (s: StoreState, deliveryId: string): ReadonlyArray<string | null> => {
  const ids = new Set(s.invites.filter((i) => i.deliveryId === deliveryId).map((i) => i.target.organizationId));
  return [...ids].sort((a, b) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1));
};

/** Seeding: writes straight into the store, bypassing the rules, to set up a world. */
import { Effect, Ref } from "effect";
import type { Inviter } from "../../access/Principal.ts";
import type { Role } from "../../access/Role.ts";
import { NO_SETTINGS } from "../../organizations/OrganizationSettings.ts";
import { normalizeEmail } from "../../shared/Email.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { TokenGenerator } from "../../shared/TokenGenerator.ts";
import type { Target } from "../../targets/Target.ts";
import type { ApiKeyKind } from "../../tenancy/ApiKeyRepository.ts";
import type {
  GroupView,
  OrganizationSettings,
  OrganizationView,
  WebsiteView,
} from "../../tenancy/TenancyRepository.ts";
import type { WebhookAttempt } from "../../webhooks/WebhookRepository.ts";
import {
  type ApiKeyRow,
  type GroupWebsiteRow,
  groupDetail,
  type LinkInviteRow,
  linkRecord,
  type MembershipRow,
  now,
  publicKey,
  Store,
  type StoreState,
  sealCode,
  type UserRow,
} from "./Store.ts";

const seed = <A>(f: (s: StoreState, at: Date) => readonly [A, StoreState]): Effect.Effect<A, never, Store> =>
  Effect.gen(function* () {
    const store = yield* Store;
    const at = yield* now;
    return yield* Ref.modify(store.state, (s) => f(s, at));
  });

const idOr = (id: string | undefined) =>
  id === undefined ? Effect.flatMap(Effect.service(IdGenerator), (g) => g.next) : Effect.succeed(id);

export const seedOrganization = (
  options: { readonly id?: string; readonly name?: string; readonly settings?: Partial<OrganizationSettings> } = {},
) =>
  Effect.flatMap(idOr(options.id), (id) =>
    seed((s, at) => {
      const row: OrganizationView = {
        id,
        name: options.name ?? `Organization ${id}`,
        ...NO_SETTINGS,
        ...options.settings,
        createdAt: at,
      };
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
      codeSealed: sealCode(code.token),
      revokedAt: options.revoked ? at : null,
      updatedAt: at,
    };
    yield* seed((s) => [undefined, { ...s, linkInvites: [...s.linkInvites, row] }]);
    return { link: linkRecord(row), code: code.token };
  });

/** One attempt to deliver an event to a webhook endpoint, as the worker records it; answers its id. */
export const seedWebhookAttempt = (webhookId: string, attempt: Omit<WebhookAttempt, "id" | "createdAt">) =>
  Effect.flatMap(idOr(undefined), (id) =>
    seed((s, at) => {
      if (!s.webhooks.some((e) => e.id === webhookId)) {
        throw new Error(`webhook_attempts.webhook_id: no endpoint ${webhookId}`);
      }
      const row = { ...attempt, id, webhookId, createdAt: at };
      return [id, { ...s, webhookAttempts: [...s.webhookAttempts, row] }];
    }),
  );

import { Effect } from "effect";
import { canActInOrganization, requireTarget } from "../access/Access.ts";
import type { Principal } from "../access/Principal.ts";
import { Forbidden, invalid, NotFound } from "../errors/Errors.ts";
import type { ForbiddenReason } from "../errors/Reasons.ts";
import { type Actor, actorOf, type NewEvent } from "../events/Event.ts";
import { emit } from "../events/Events.ts";
import { MembershipRepository, type PageRequest } from "../members/MembershipRepository.ts";
import { IdGenerator } from "../shared/IdGenerator.ts";
import { TokenGenerator } from "../shared/TokenGenerator.ts";
import { Transactor } from "../shared/Transactor.ts";
import type { Target } from "../targets/Target.ts";
import { type ApiKeyKind, ApiKeyRepository, type ApiKeyView } from "./ApiKeyRepository.ts";
import { TenancyRepository } from "./TenancyRepository.ts";

const requireGlobal = (principal: Principal, reason: ForbiddenReason = "global_key_required") =>
  principal.kind === "global" ? Effect.void : Effect.fail(new Forbidden({ reason }));

const organizationNotFound = () => new NotFound({ reason: "organization_not_found" });

/** An event about an API key; never its secret. */
const apiKeyEvent = (type: "api_key.created" | "api_key.revoked", actor: Actor, key: ApiKeyView): NewEvent => ({
  type,
  organizationId: key.organizationId,
  actor,
  subject: { type: "api_key", id: key.id },
  data: { apiKeyId: key.id, kind: key.kind, name: key.name },
});

/** The organization, when the principal may act in it; otherwise exactly "not found". */
const visibleOrganization = Effect.fn("Tenancy.visibleOrganization")(function* (
  principal: Principal,
  organizationId: string,
) {
  if (!canActInOrganization(principal, organizationId)) return yield* organizationNotFound();
  const org = yield* (yield* TenancyRepository).getOrganization(organizationId);
  if (org === null) return yield* organizationNotFound();
  return org;
});

export const createOrganization = Effect.fn("Organizations.create")(function* (
  principal: Principal,
  input: { name: string },
) {
  yield* requireGlobal(principal);
  const id = yield* (yield* IdGenerator).next;
  return yield* (yield* TenancyRepository).createOrganization({ id, name: input.name.trim() });
});

export const getOrganization = (principal: Principal, input: { organizationId: string }) =>
  visibleOrganization(principal, input.organizationId);

export const listOrganizations = Effect.fn("Organizations.list")(function* (principal: Principal, page: PageRequest) {
  if (principal.kind === "user") return { items: [], nextCursor: null };
  const onlyId = principal.kind === "organization" ? principal.organizationId : null;
  return yield* (yield* TenancyRepository).listOrganizations(page, onlyId);
});

export const createWebsite = Effect.fn("Websites.create")(function* (
  principal: Principal,
  input: { organizationId: string; name: string; url?: string | undefined },
) {
  yield* visibleOrganization(principal, input.organizationId);
  const id = yield* (yield* IdGenerator).next;
  return yield* (yield* TenancyRepository).createWebsite({
    id,
    organizationId: input.organizationId,
    name: input.name.trim(),
    url: input.url ?? null,
  });
});

export const getWebsite = Effect.fn("Websites.get")(function* (principal: Principal, input: { websiteId: string }) {
  const site = yield* (yield* TenancyRepository).getWebsite(input.websiteId);
  if (site === null || !canActInOrganization(principal, site.organizationId)) {
    return yield* new NotFound({ reason: "website_not_found" });
  }
  return site;
});

export const listWebsites = Effect.fn("Websites.list")(function* (
  principal: Principal,
  input: { organizationId: string } & PageRequest,
) {
  yield* visibleOrganization(principal, input.organizationId);
  return yield* (yield* TenancyRepository).listWebsites(input.organizationId, input);
});

const requireGroupAccess = (principal: Principal) => requireGlobal(principal, "group_requires_global_key");

export const createGroup = Effect.fn("Groups.create")(function* (principal: Principal, input: { name: string }) {
  yield* requireGroupAccess(principal);
  const id = yield* (yield* IdGenerator).next;
  return yield* (yield* TenancyRepository).createGroup({ id, name: input.name.trim() });
});

export const getGroup = Effect.fn("Groups.get")(function* (principal: Principal, input: { groupId: string }) {
  yield* requireGroupAccess(principal);
  const group = yield* (yield* TenancyRepository).getGroup(input.groupId);
  if (group === null) return yield* new NotFound({ reason: "group_not_found" });
  return group;
});

export const listGroups = Effect.fn("Groups.list")(function* (principal: Principal, page: PageRequest) {
  yield* requireGroupAccess(principal);
  return yield* (yield* TenancyRepository).listGroups(page);
});

/** Adds or removes websites of a group, all or nothing: an unknown website refuses the whole request. */
export const changeGroupWebsites = Effect.fn("Groups.changeWebsites")(function* (
  principal: Principal,
  input: { groupId: string; websiteIds: ReadonlyArray<string> },
  change: "add" | "remove",
) {
  yield* requireGroupAccess(principal);
  const repo = yield* TenancyRepository;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const group = yield* repo.getGroup(input.groupId);
      if (group === null) return yield* new NotFound({ reason: "group_not_found" });
      if (change === "add") {
        const existing = new Set(yield* repo.existingWebsites(input.websiteIds));
        if (input.websiteIds.some((id) => !existing.has(id)))
          return yield* new NotFound({ reason: "website_not_found" });
        yield* repo.addGroupWebsites(input.groupId, input.websiteIds);
      } else {
        yield* repo.removeGroupWebsites(input.groupId, input.websiteIds);
      }
      return (yield* repo.getGroup(input.groupId)) ?? group;
    }),
  );
});

export const listMembers = Effect.fn("Members.list")(function* (principal: Principal, input: Target & PageRequest) {
  const target = yield* requireTarget(principal, { type: input.type, id: input.id }, "read");
  return yield* (yield* MembershipRepository).list(target, input);
});

export const createApiKey = Effect.fn("ApiKeys.create")(function* (
  principal: Principal,
  input: { kind: ApiKeyKind; organizationId?: string | undefined; name: string },
) {
  let organizationId: string | null = null;
  if (input.kind === "global") {
    if (input.organizationId !== undefined)
      return yield* invalid("organizationId", 'Not allowed when kind is "global"');
    yield* requireGlobal(principal);
  } else {
    const wanted = input.organizationId ?? (principal.kind === "organization" ? principal.organizationId : undefined);
    if (wanted === undefined) return yield* invalid("organizationId", 'Required when kind is "organization"');
    organizationId = (yield* visibleOrganization(principal, wanted)).id;
  }
  const id = yield* (yield* IdGenerator).next;
  const secret = yield* (yield* TokenGenerator).next("admit_sk");
  const keys = yield* ApiKeyRepository;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const key = yield* keys.create({
        id,
        kind: input.kind,
        organizationId,
        name: input.name.trim(),
        secretHash: secret.hash,
      });
      yield* emit([apiKeyEvent("api_key.created", actorOf(principal), key)]);
      return { ...key, secret: secret.token };
    }),
  );
});

export const listApiKeys = Effect.fn("ApiKeys.list")(function* (
  principal: Principal,
  input: { organizationId?: string | undefined } & PageRequest,
) {
  if (principal.kind === "user") return yield* new Forbidden({ reason: "api_key_required" });
  let organizationId = input.organizationId ?? null;
  if (principal.kind === "organization")
    organizationId = (yield* visibleOrganization(principal, organizationId ?? principal.organizationId)).id;
  return yield* (yield* ApiKeyRepository).list(organizationId, input);
});

export const revokeApiKey = Effect.fn("ApiKeys.revoke")(function* (principal: Principal, input: { apiKeyId: string }) {
  const keys = yield* ApiKeyRepository;
  const key = yield* keys.get(input.apiKeyId);
  const visible =
    key !== null &&
    (principal.kind === "global" ||
      (principal.kind === "organization" && key.organizationId === principal.organizationId));
  if (!visible) return yield* new NotFound({ reason: "api_key_not_found" });
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const revoked = (yield* keys.revoke(input.apiKeyId)) ?? key;
      if (key.revokedAt === null) yield* emit([apiKeyEvent("api_key.revoked", actorOf(principal), revoked)]);
      return revoked;
    }),
  );
});

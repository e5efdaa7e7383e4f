import { Effect } from "effect";
import type { Inviter } from "../../access/Principal.ts";
import type { NewEvent } from "../../events/Event.ts";
import { EventLog } from "../../events/EventLog.ts";
import { InviteRepository, type NewInvite } from "../../invites/InviteRepository.ts";
import { queueDelivery as queueDeliveryOf } from "../../invites/Invites.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import type { ResolvedTarget } from "../../targets/Target.ts";
import { TenancyRepository } from "../../tenancy/TenancyRepository.ts";
import { freshEmail } from "./harness.ts";

/**
 * The worlds the suites start from, written through the ports. Invites, their deliveries and
 * events are written here and nowhere else in the read-side suites, so that a change to the
 * methods that write them is adjusted once, here.
 */

/** An organization with a website, and a group holding that website, as targets. */
export const world = Effect.gen(function* () {
  const ids = yield* IdGenerator;
  const tenancy = yield* TenancyRepository;
  const org = yield* tenancy.createOrganization({ id: yield* ids.next, name: "acme" });
  const site = yield* tenancy.createWebsite({ id: yield* ids.next, organizationId: org.id, name: "shop", url: null });
  const group = yield* tenancy.createGroup({ id: yield* ids.next, name: "portfolio" });
  yield* tenancy.addGroupWebsites(group.id, [site.id]);
  const organization: ResolvedTarget = { type: "organization", id: org.id, organizationId: org.id };
  const website: ResolvedTarget = { type: "website", id: site.id, organizationId: org.id };
  const groupTarget: ResolvedTarget = { type: "group", id: group.id, organizationId: null };
  return { org, site, group, organization, website, groupTarget };
});

/** One more website of an organization, as a target. */
export const websiteOf = (organizationId: string, name: string) =>
  Effect.gen(function* () {
    const site = yield* (yield* TenancyRepository).createWebsite({
      id: yield* (yield* IdGenerator).next,
      organizationId,
      name,
      url: null,
    });
    return { type: "website", id: site.id, organizationId } satisfies ResolvedTarget;
  });

export const ROOT: Inviter = { kind: "root", id: null, name: "Admit" };

/** An hour from now: invites that stay pending through a test. */
export const inAnHour = () => new Date(Date.now() + 3_600_000);

/** A queued email to `email` with a fresh accept token. */
export const queueDelivery = (
  email: string,
  options: { readonly kind?: "invite" | "resend"; readonly inviterName?: string } = {},
) =>
  Effect.map(queueDeliveryOf(email, options.inviterName ?? ROOT.name, options.kind ?? "invite"), (d) => ({
    id: d.id,
    token: d.token,
    hash: d.tokenHash,
  }));

export type InviteOptions = Partial<Omit<NewInvite, "id" | "email" | "target" | "deliveryId">>;

/** Pending invites of `email` to `targets`, all on one delivery, written together; their ids in order. */
export const invitesOn = (
  deliveryId: string,
  email: string,
  targets: ReadonlyArray<ResolvedTarget>,
  options: InviteOptions = {},
) =>
  Effect.gen(function* () {
    const ids = yield* IdGenerator;
    const rows: NewInvite[] = [];
    for (const target of targets) {
      rows.push({
        id: yield* ids.next,
        email,
        target,
        deliveryId,
        role: "read",
        inviter: ROOT,
        firstName: null,
        lastName: null,
        expiresAt: inAnHour(),
        redirectUrl: null,
        locale: null,
        ...options,
      });
    }
    return yield* (yield* InviteRepository).upsertPending(rows);
  });

/** An email invite as the use case makes one: a delivery, and pending invites of `email` to `targets` on it. */
export const inviteByEmail = (email: string, targets: ReadonlyArray<ResolvedTarget>, options: InviteOptions = {}) =>
  Effect.gen(function* () {
    const delivery = yield* queueDelivery(email, { inviterName: (options.inviter ?? ROOT).name });
    const ids = yield* invitesOn(delivery.id, email, targets, options);
    return { delivery, ids };
  });

/** An email invite to `target` for each label, each to a recipient of its own (named after the label). */
export const inviteEach = <const L extends ReadonlyArray<string>>(labels: L, target: ResolvedTarget) =>
  Effect.map(
    Effect.forEach(labels, (label) => inviteByEmail(freshEmail(label), [target])),
    // One per label, in order: typed as a tuple the length of `labels`.
    (invites) => invites as unknown as { readonly [K in keyof L]: (typeof invites)[number] },
  );

/** A provider's message id, unique across runs sharing a database. */
export const messageId = Effect.gen(function* () {
  return `msg-${yield* (yield* IdGenerator).next}`;
});

/** Moves pending invites to a final state. */
export const respond = (
  ids: ReadonlyArray<string>,
  status: "accepted" | "declined" | "revoked",
  userId: string | null = null,
) => Effect.flatMap(Effect.service(InviteRepository), (invites) => invites.respond(ids, status, userId));

/** Points an invite at a fresh delivery with a new expiry, as a resend does. */
export const redeliver = (inviteId: string, email: string, expiresAt: Date) =>
  Effect.gen(function* () {
    const delivery = yield* queueDelivery(email, { kind: "resend" });
    yield* (yield* InviteRepository).redeliver(inviteId, delivery.id, expiresAt);
    return delivery;
  });

/** An event about a subject of an organization (null: the platform's). */
export const newEvent = (
  type: NewEvent["type"],
  organizationId: string | null,
  subjectId: string,
  data: NewEvent["data"] = {},
): NewEvent => ({
  type,
  organizationId,
  actor: { kind: "system", id: null },
  subject: { type: "invite", id: subjectId },
  data,
});

export const appendEvents = (events: ReadonlyArray<NewEvent>) =>
  Effect.flatMap(Effect.service(EventLog), (log) => log.append(events));

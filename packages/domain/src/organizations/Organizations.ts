import { Effect } from "effect";
import { requireTarget } from "../access/Access.ts";
import type { Principal } from "../access/Principal.ts";
import type { Role } from "../access/Role.ts";
import { InvalidInput } from "../errors/Errors.ts";
import { actorOf, memberEvent } from "../events/Event.ts";
import { emit } from "../events/Events.ts";
import { MembershipRepository } from "../members/MembershipRepository.ts";
import { parseEmail } from "../shared/Email.ts";
import { Transactor } from "../shared/Transactor.ts";
import { UserRepository } from "../users/UserRepository.ts";

export const MAX_ORGANIZATION_INVITE_EMAILS = 100;

export interface InviteUsersInput {
  readonly organizationId: string;
  readonly emails: ReadonlyArray<string>;
  readonly role: Role;
  readonly sso: boolean;
}

/**
 * Normalizes every email; invalid or duplicated ones are named by their path (`emails.<index>`),
 * never by echoing the address back.
 */
export const parseEmailList = (
  emails: ReadonlyArray<string>,
): { ok: true; emails: string[] } | { ok: false; error: InvalidInput } => {
  const fieldErrors: Record<string, string[]> = {};
  const seen = new Map<string, number>();
  const out: string[] = [];
  emails.forEach((raw, i) => {
    const parsed = parseEmail(raw);
    if (!parsed.ok) {
      fieldErrors[`emails.${i}`] = [parsed.message];
      return;
    }
    const first = seen.get(parsed.email);
    if (first !== undefined) fieldErrors[`emails.${i}`] = [`Duplicate of emails.${first}`];
    else seen.set(parsed.email, i);
    out.push(parsed.email);
  });
  if (emails.length < 1 || emails.length > MAX_ORGANIZATION_INVITE_EMAILS) {
    fieldErrors.emails = [`Between 1 and ${MAX_ORGANIZATION_INVITE_EMAILS} emails`];
  }
  return Object.keys(fieldErrors).length > 0
    ? { ok: false, error: new InvalidInput({ message: "Invalid input", fieldErrors }) }
    : { ok: true, emails: out };
};

/**
 * `organizations.inviteUsers`: adds every email to the organization now, creating accounts as
 * needed, in one transaction and a fixed number of statements. An SSO member belongs to one
 * organization only: a user already in another organization is added without SSO and reported.
 */
export const inviteUsers = Effect.fn("Organizations.inviteUsers")(function* (
  principal: Principal,
  input: InviteUsersInput,
) {
  const parsed = parseEmailList(input.emails);
  if (!parsed.ok) return yield* parsed.error;
  const target = yield* requireTarget(principal, { type: "organization", id: input.organizationId }, input.role);
  const users = yield* UserRepository;
  const memberships = yield* MembershipRepository;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const found = yield* users.findOrCreateMany(parsed.emails);
      const elsewhere = input.sso
        ? new Set(
            yield* memberships.inOtherOrganizations(
              found.map((u) => u.id),
              input.organizationId,
            ),
          )
        : new Set<string>();
      const added = yield* memberships.addUsers(
        { type: "organization", id: input.organizationId },
        found.map((u) => ({ userId: u.id, role: input.role, sso: input.sso && !elsewhere.has(u.id) })),
      );
      const addedIds = new Set(added);
      const actor = actorOf(principal);
      yield* emit(
        found
          .filter((u) => addedIds.has(u.id))
          .map((u) =>
            memberEvent(
              "member.added",
              actor,
              { userId: u.id, target, role: input.role },
              {
                email: u.email,
                sso: input.sso && !elsewhere.has(u.id),
              },
            ),
          ),
      );
      const failedSSOEmails = found.filter((u) => elsewhere.has(u.id) && addedIds.has(u.id)).map((u) => u.email);
      return {
        users: found.map((u) => u.id),
        invited: added.length,
        ...(failedSSOEmails.length > 0 ? { failedSSOEmails } : {}),
      };
    }),
  );
});

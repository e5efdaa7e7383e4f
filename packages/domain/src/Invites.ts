import { Clock, Effect } from "effect";
import { checkTargets } from "./Access.ts";
import { parseEmail } from "./Email.ts";
import { AlreadyMember, Forbidden, InvalidInput, NotFound } from "./Errors.ts";
import { DeliveryRepository } from "./ports/DeliveryRepository.ts";
import { IdGenerator } from "./ports/IdGenerator.ts";
import { InviteRepository } from "./ports/InviteRepository.ts";
import { InviteSettings } from "./ports/InviteSettings.ts";
import { MembershipRepository } from "./ports/MembershipRepository.ts";
import { TokenGenerator } from "./ports/TokenGenerator.ts";
import { Transactor } from "./ports/Transactor.ts";
import { UserRepository } from "./ports/UserRepository.ts";
import { inviterOf, type Principal } from "./Principal.ts";
import type { Role } from "./Role.ts";
import type { Target, TargetType } from "./Target.ts";

export type InviteMethod = "direct" | "email";

export interface CreateInviteInput {
  readonly type: TargetType;
  readonly method: InviteMethod;
  readonly email: string;
  readonly role: Role;
  readonly organizationId?: string | undefined;
  readonly websiteId?: string | undefined;
  readonly groupId?: string | undefined;
  readonly firstName?: string | undefined;
  readonly lastName?: string | undefined;
}

export type CreateInviteResult =
  | { readonly success: true; readonly message: string; readonly userId: string }
  | { readonly success: true; readonly message: string; readonly inviteId: string };

const ID_FIELD: Record<TargetType, "organizationId" | "websiteId" | "groupId"> = {
  organization: "organizationId",
  website: "websiteId",
  group: "groupId",
};

/**
 * The target named by an input: the id field of its type is required (an organization key may
 * leave `organizationId` out: it means its own organization), the others must be absent.
 */
export const targetOf = (
  principal: Principal,
  input: Pick<CreateInviteInput, "type" | "organizationId" | "websiteId" | "groupId">,
): { ok: true; target: Target } | { ok: false; error: InvalidInput } => {
  const fieldErrors: Record<string, string[]> = {};
  const own = ID_FIELD[input.type];
  for (const field of Object.values(ID_FIELD)) {
    if (field !== own && input[field] !== undefined) {
      fieldErrors[field] = [`Not allowed when type is "${input.type}"`];
    }
  }
  let id = input[own];
  if (id === undefined && input.type === "organization" && principal.kind === "organization") {
    id = principal.organizationId;
  }
  if (id === undefined) fieldErrors[own] = [`Required when type is "${input.type}"`];
  if (Object.keys(fieldErrors).length > 0 || id === undefined) {
    return { ok: false, error: new InvalidInput({ message: "Invalid input", fieldErrors }) };
  }
  return { ok: true, target: { type: input.type, id } };
};

const validEmail = (raw: string) => {
  const parsed = parseEmail(raw);
  return parsed.ok
    ? Effect.succeed(parsed.email)
    : Effect.fail(new InvalidInput({ message: "Invalid input", fieldErrors: { email: [parsed.message] } }));
};

const nameOrNull = (value: string | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};

/** `invites.create`: one email, one target, added now (`direct`) or invited by email. */
export const createInvite = Effect.fn("Invites.create")(function* (principal: Principal, input: CreateInviteInput) {
  const named = targetOf(principal, input);
  if (!named.ok) return yield* named.error;
  const email = yield* validEmail(input.email);

  const [access] = yield* checkTargets(principal, [named.target], input.role);
  if (access === undefined || access._tag === "Refused") {
    const reason = access?.reason ?? "not_found";
    return yield* access?.status === "forbidden" ? new Forbidden({ reason }) : new NotFound({ reason });
  }
  const target = access.target;
  const transactor = yield* Transactor;
  const memberships = yield* MembershipRepository;
  const firstName = nameOrNull(input.firstName);
  const lastName = nameOrNull(input.lastName);

  if (input.method === "direct") {
    const users = yield* UserRepository;
    return yield* transactor.withTransaction(
      Effect.gen(function* () {
        const user = yield* users.findOrCreate({ email, firstName, lastName });
        const added = yield* memberships.addMany(user.id, [target], input.role, false);
        if (added.length === 0) return yield* new AlreadyMember();
        return { success: true, message: "User added", userId: user.id } as CreateInviteResult;
      }),
    );
  }

  const ids = yield* IdGenerator;
  const tokens = yield* TokenGenerator;
  const invites = yield* InviteRepository;
  const deliveries = yield* DeliveryRepository;
  const settings = yield* InviteSettings;
  const now = yield* Clock.currentTimeMillis;
  const inviter = inviterOf(principal);
  return yield* transactor.withTransaction(
    Effect.gen(function* () {
      const already = yield* memberships.memberTargetsByEmail(email, [target]);
      if (already.length > 0) return yield* new AlreadyMember();
      const deliveryId = yield* ids.next;
      const token = yield* tokens.next("inv");
      yield* deliveries.enqueue({ id: deliveryId, email, tokenHash: token.hash, inviterName: inviter.name });
      const [inviteId] = yield* invites.upsertPending([
        {
          id: yield* ids.next,
          email,
          target,
          role: input.role,
          deliveryId,
          inviter,
          firstName,
          lastName,
          expiresAt: new Date(now + settings.inviteTtlMs),
        },
      ]);
      return { success: true, message: "Invitation sent", inviteId: inviteId as string } as CreateInviteResult;
    }),
  );
});

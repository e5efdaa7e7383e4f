import { Effect } from "effect";
import { requireTarget } from "../access/Access.ts";
import type { Principal } from "../access/Principal.ts";
import type { Role } from "../access/Role.ts";
import { NotFound } from "../errors/Errors.ts";
import { actorOf, memberEvent } from "../events/Event.ts";
import { emit } from "../events/Events.ts";
import { Transactor } from "../shared/Transactor.ts";
import type { Target } from "../targets/Target.ts";
import { MembershipRepository } from "./MembershipRepository.ts";

/**
 * The same rules as inviting: the caller must be allowed to grant `role` on the target. A user
 * must be admin there, and admin is the highest role, so no member is above the caller.
 */
const allowedTarget = Effect.fn("Members.allowedTarget")(function* (principal: Principal, target: Target, role: Role) {
  return yield* requireTarget(principal, target, role);
});

/**
 * The member's current role, row locked to the end of the transaction: concurrent changes of one
 * membership run one after the other, so each `member.role_changed` names the role it replaced and
 * the last event matches the final role.
 */
const requireMember = Effect.fn("Members.requireMember")(function* (target: Target, userId: string) {
  const role = yield* (yield* MembershipRepository).roleOf(target, userId, { lock: true });
  if (role === null) return yield* new NotFound({ reason: "member_not_found" });
  return role;
});

export const updateMemberRole = Effect.fn("Members.updateRole")(function* (
  principal: Principal,
  input: Target & { userId: string; role: Role },
) {
  const target = yield* allowedTarget(principal, { type: input.type, id: input.id }, input.role);
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const previousRole = yield* requireMember(target, input.userId);
      const updated = yield* (yield* MembershipRepository).updateRole(target, input.userId, input.role);
      if (updated === null) return yield* new NotFound({ reason: "member_not_found" });
      if (previousRole !== input.role) {
        yield* emit([
          memberEvent(
            "member.role_changed",
            actorOf(principal),
            { userId: input.userId, target, role: input.role },
            {
              email: updated.email,
              previousRole,
            },
          ),
        ]);
      }
      return updated;
    }),
  );
});

export const removeMember = Effect.fn("Members.remove")(function* (
  principal: Principal,
  input: Target & { userId: string },
) {
  const target = yield* allowedTarget(principal, { type: input.type, id: input.id }, "read");
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const removed = yield* (yield* MembershipRepository).remove(target, input.userId);
      if (removed === null) return yield* new NotFound({ reason: "member_not_found" });
      yield* emit([
        memberEvent(
          "member.removed",
          actorOf(principal),
          { userId: input.userId, target, role: removed.role },
          { email: removed.email },
        ),
      ]);
      return { success: true as const };
    }),
  );
});

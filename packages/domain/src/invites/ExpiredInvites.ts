import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";
import type { InviteRecord } from "./Invite.ts";

/** Pending invites past their expiry whose expiry has not been recorded yet. */
export class ExpiredInvites extends Context.Service<
  ExpiredInvites,
  {
    /**
     * Up to `limit` of them, marked recorded in the caller's transaction (rows other transactions
     * hold are skipped), so each invite's expiry is recorded once.
     */
    claim(now: Date, limit: number): Effect.Effect<ReadonlyArray<InviteRecord>, RepositoryError>;
  }
>()("@admit/domain/ExpiredInvites") {}

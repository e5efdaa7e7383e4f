import { Context } from "effect";

export interface InviteSettingsShape {
  /** How long an email invite stays acceptable. */
  readonly inviteTtlMs: number;
  /** Resends to one recipient allowed per hour, protecting them (and the sender's reputation). */
  readonly resendsPerRecipientPerHour: number;
  /** Invitation emails an organization may send per hour unless it has a limit of its own. */
  readonly emailInvitesPerHour: number;
}

export const DEFAULT_INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_RESENDS_PER_HOUR = 3;
export const DEFAULT_EMAIL_INVITES_PER_HOUR = 500;

export const InviteSettings = Context.Reference<InviteSettingsShape>("@admit/domain/InviteSettings", {
  defaultValue: () => ({
    inviteTtlMs: DEFAULT_INVITE_TTL_MS,
    resendsPerRecipientPerHour: DEFAULT_RESENDS_PER_HOUR,
    emailInvitesPerHour: DEFAULT_EMAIL_INVITES_PER_HOUR,
  }),
});

import { type InvitedTarget, type MailMessage, type OutgoingDelivery, TARGETS } from "@admit/domain";
import { escapeHtml, plain } from "./text.ts";

export interface InvitationOptions {
  /** Base of the accept link, without a trailing slash. */
  readonly publicUrl: string;
}

const NAME_MAX = 80;

/** What a target belongs to, as a person would name it: its organization, or the target itself. */
const placeOf = (t: InvitedTarget): string =>
  TARGETS[t.type].owner === "none" ? t.name : (t.organizationName ?? t.name);

const describe = (t: InvitedTarget): { what: string; name: string; owner: string | null; role: string } => ({
  what: TARGETS[t.type].label,
  name: plain(t.name, NAME_MAX) || "(unnamed)",
  owner: TARGETS[t.type].owner === "organization" && t.organizationName ? plain(t.organizationName, NAME_MAX) : null,
  role: t.role,
});

const formatDate = (date: Date): string =>
  `${date.toLocaleDateString("en-GB", { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" })} (UTC)`;

export const acceptLink = (publicUrl: string, token: string): string =>
  `${publicUrl}/invites/accept?token=${encodeURIComponent(token)}`;

/**
 * The invitation email of one delivery: one message listing every target it covers, with exactly
 * one accept link. Names come from the database and are treated as untrusted text: made one plain
 * line each, and escaped in the HTML body.
 */
export const renderInvitation = (delivery: OutgoingDelivery, options: InvitationOptions): MailMessage => {
  if (delivery.token === null) throw new Error("a delivery without a token has no link to send");
  const inviter = plain(delivery.inviterName, NAME_MAX) || "Someone";
  const places = [...new Set(delivery.targets.map((t) => plain(placeOf(t), NAME_MAX)))];
  const where = places.length <= 1 ? (places[0] ?? "Admit") : `${places[0]} and ${places.length - 1} more`;
  const subject = plain(`${inviter} invited you to join ${where}`, 200);
  const link = acceptLink(options.publicUrl, delivery.token);
  const items = delivery.targets.map(describe);
  const expiry = delivery.targets.reduce<Date | null>(
    (min, t) => (min === null || t.expiresAt < min ? t.expiresAt : min),
    null,
  );
  const expires = expiry ? ` and expires on ${formatDate(expiry)}` : "";

  const text = [
    `${inviter} invited you to join ${where}.`,
    "",
    items.length === 1 ? "You are invited to:" : `You are invited to these ${items.length} places:`,
    ...items.map((i) => `- the ${i.what} ${i.name}${i.owner ? ` (${i.owner})` : ""}, as ${i.role}`),
    "",
    "Accept the invitation:",
    link,
    "",
    `The link works once${expires}. If you did not expect this invitation, ignore this email:`,
    "nothing happens until you accept.",
    "",
  ].join("\n");

  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; color: #1f2328; line-height: 1.5;">
<p>${escapeHtml(inviter)} invited you to join <strong>${escapeHtml(where)}</strong>.</p>
<p>${items.length === 1 ? "You are invited to:" : `You are invited to these ${items.length} places:`}</p>
<ul>
${items
  .map(
    (i) =>
      `<li>the ${i.what} <strong>${escapeHtml(i.name)}</strong>${i.owner ? ` (${escapeHtml(i.owner)})` : ""}, as ${escapeHtml(i.role)}</li>`,
  )
  .join("\n")}
</ul>
<p><a href="${escapeHtml(link)}" style="display: inline-block; padding: 10px 18px; background: #1f6feb; color: #ffffff; border-radius: 6px; text-decoration: none;">Accept the invitation</a></p>
<p style="color: #59636e; font-size: 13px;">The link works once${escapeHtml(expires)}. If you did not expect this invitation, ignore this email: nothing happens until you accept.</p>
</body>
</html>
`;

  return {
    to: delivery.email,
    subject,
    text,
    html,
    deliveryId: delivery.id,
    tag: delivery.kind === "resend" ? "invitation-resend" : "invitation",
  };
};

import { type InvitedTarget, type MailMessage, type OutgoingDelivery, TARGETS } from "@admit/domain";
import { brandColors, chooseLocale, type Translator, translator } from "@admit/i18n";
import { escapeHtml, plain } from "./text.ts";

export interface InvitationOptions {
  /** Base of the accept link, without a trailing slash. */
  readonly publicUrl: string;
}

const NAME_MAX = 80;

export const acceptLink = (publicUrl: string, token: string): string =>
  `${publicUrl}/invites/accept?token=${encodeURIComponent(token)}`;

interface Item {
  readonly kind: string;
  readonly name: string;
  /** The organization a website belongs to, when it is worth saying. */
  readonly owner: string | null;
  readonly role: string;
}

/** The organization's name as people know it: the display name when the email speaks for it. */
const orgName = (t: InvitedTarget, brand: string | null): string | null =>
  TARGETS[t.type].owner === "none" ? null : plain(brand ?? t.organizationName ?? "", NAME_MAX) || null;

/**
 * "the Blog website at Acme", "Acme", "the Partners group", or "3 places at Acme": the exact
 * place when there is one, the count (and the organization, when all share one) otherwise.
 */
const placeOf = (
  tr: Translator,
  targets: ReadonlyArray<InvitedTarget>,
  brand: string | null,
): { text: string; join: boolean } => {
  const [only] = targets;
  if (targets.length === 1 && only !== undefined) {
    const name = plain(only.name, NAME_MAX) || "—";
    if (TARGETS[only.type].owner === "itself") return { text: orgName(only, brand) ?? name, join: true };
    if (TARGETS[only.type].owner === "none") return { text: tr.t("place.group", { name }), join: false };
    const org = orgName(only, brand);
    return {
      text: org ? tr.t("place.websiteAt", { name, org }) : tr.t("place.website", { name }),
      join: false,
    };
  }
  const orgs = new Set(targets.map((t) => (TARGETS[t.type].owner === "none" ? null : t.organizationName)));
  const [org] = [...orgs];
  const shared = orgs.size === 1 && org ? (orgName(targets[0] as InvitedTarget, brand) ?? null) : null;
  return {
    text: shared
      ? tr.t("place.manyAt", { count: targets.length, org: shared })
      : tr.t("place.many", { count: targets.length }),
    join: false,
  };
};

const itemOf = (tr: Translator, t: InvitedTarget, brand: string | null): Item => ({
  kind: tr.t(`kind.${t.type}`),
  name: (TARGETS[t.type].owner === "itself" ? orgName(t, brand) : null) ?? (plain(t.name, NAME_MAX) || "—"),
  owner: TARGETS[t.type].owner === "organization" ? orgName(t, brand) : null,
  role: tr.t(`role.${t.role}`),
});

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

/**
 * The invitation email of one delivery: one message listing every target it covers, with exactly
 * one accept link, in the recipient's language (the invite's, else the organization's, else
 * English) and the organization's branding. Names come from the database and are untrusted: made
 * one plain line each, and escaped in the HTML body.
 *
 * The HTML is the "bulletproof" kind mail clients render alike (Outlook's Word engine included):
 * nested tables, inline styles, a button that is a coloured table cell around a link, no
 * external CSS, no scripts; at phone width the 600px card simply shrinks.
 */
export const renderInvitation = (delivery: OutgoingDelivery, options: InvitationOptions): MailMessage => {
  if (delivery.token === null) throw new Error("a delivery without a token has no link to send");
  const tr = translator(chooseLocale([delivery.locale]));
  const brandName = delivery.brand ? plain(delivery.brand.name, NAME_MAX) || null : null;
  const inviter = plain(delivery.inviterName, NAME_MAX) || tr.t("invite.someone");
  const place = placeOf(tr, delivery.targets, brandName);
  const subject = plain(
    tr.t(place.join ? "invite.subjectJoin" : "invite.subject", { inviter, place: place.text }),
    200,
  );
  const lead = tr.t(place.join ? "invite.leadJoin" : "invite.lead", { inviter, place: place.text });
  const firstName = delivery.firstName ? plain(delivery.firstName, NAME_MAX) : "";
  const greeting = firstName ? tr.t("invite.greeting", { firstName }) : tr.t("invite.greetingAnonymous");
  const link = acceptLink(options.publicUrl, delivery.token);
  const items = delivery.targets.map((t) => itemOf(tr, t, brandName));
  const expiry = delivery.targets.reduce<Date | null>(
    (min, t) => (min === null || t.expiresAt < min ? t.expiresAt : min),
    null,
  );
  const expires = expiry ? tr.t("invite.expires", { date: tr.date(expiry) }) : "";
  const why = tr.t("invite.why", { inviter, email: delivery.email, brand: brandName ?? items[0]?.name ?? "Admit" });
  const supportEmail = delivery.brand?.supportEmail ?? null;
  const support = supportEmail ? tr.t("invite.support", { supportEmail }) : "";
  const accessTitle = tr.t("invite.access", { count: items.length });
  const accept = tr.t("invite.accept");

  const text = [
    greeting,
    "",
    lead,
    "",
    tr.t("invite.textLabel", { label: accessTitle }),
    ...items.map((i) => `- ${i.name}${i.owner ? ` (${i.owner})` : ""} · ${i.kind} · ${i.role}`),
    "",
    tr.t("invite.textLabel", { label: accept }),
    link,
    "",
    expires,
    "",
    "--",
    why,
    ...(support ? [support] : []),
    "",
  ].join("\n");

  const { accent, onAccent, link: linkColor, edge } = brandColors(delivery.brand?.primaryColor);
  const e = escapeHtml;
  const logo = delivery.brand?.logoUrl
    ? `<img src="${e(delivery.brand.logoUrl)}" alt="${e(brandName ?? "")}" height="40" style="display:block;height:40px;max-width:200px;border:0;outline:none;text-decoration:none;font-family:${FONT};font-size:18px;font-weight:700;color:#111827;">`
    : `<span style="font-family:${FONT};font-size:18px;font-weight:700;color:#111827;word-break:break-word;overflow-wrap:anywhere;">${e(brandName ?? "")}</span>`;
  const rows = items
    .map(
      (i, index) => `<tr>
<td style="padding:12px 16px;${index === 0 ? "" : "border-top:1px solid #e5e7eb;"}font-family:${FONT};font-size:15px;line-height:22px;color:#111827;word-break:break-word;overflow-wrap:anywhere;">
<strong>${e(i.name)}</strong>${i.owner ? `<span style="color:#6b7280;"> · ${e(i.owner)}</span>` : ""}<br>
<span style="font-size:13px;color:#6b7280;">${e(i.kind)}</span>
</td>
<td align="right" style="padding:12px 16px;${index === 0 ? "" : "border-top:1px solid #e5e7eb;"}font-family:${FONT};font-size:14px;line-height:22px;color:#374151;white-space:nowrap;">${e(i.role)}</td>
</tr>`,
    )
    .join("\n");

  const html = `<!doctype html>
<html lang="${tr.locale}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<meta name="color-scheme" content="light">
<title>${e(subject)}</title>
</head>
<body style="margin:0;padding:0;background:#f3f4f6;">
<div style="display:none;max-height:0;overflow:hidden;">${e(lead)}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6;">
<tr><td align="center" style="padding:32px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;">
<tr><td style="padding:0 8px 20px 8px;">${logo}</td></tr>
<tr><td style="background:#ffffff;border-radius:12px;border-top:4px solid ${accent};padding:32px 32px 28px 32px;">
<p style="margin:0 0 8px 0;font-family:${FONT};font-size:15px;line-height:22px;color:#374151;">${e(greeting)}</p>
<h1 style="margin:0 0 24px 0;font-family:${FONT};font-size:22px;line-height:30px;font-weight:700;color:#111827;word-break:break-word;overflow-wrap:anywhere;">${e(lead)}</h1>
<p style="margin:0 0 8px 0;font-family:${FONT};font-size:13px;line-height:18px;font-weight:600;letter-spacing:.02em;text-transform:uppercase;color:#6b7280;">${e(accessTitle)}</p>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border:1px solid #e5e7eb;border-radius:8px;border-collapse:separate;margin:0 0 28px 0;">
${rows}
</table>
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 24px 0;">
<tr><td align="center" bgcolor="${accent}" style="border-radius:8px;background:${accent};${edge === accent ? "" : `border:1px solid ${edge};`}">
<a href="${e(link)}" target="_blank" style="display:inline-block;padding:14px 28px;font-family:${FONT};font-size:16px;line-height:20px;font-weight:600;color:${onAccent};text-decoration:none;border-radius:8px;">${e(accept)}</a>
</td></tr>
</table>
<p style="margin:0 0 20px 0;font-family:${FONT};font-size:14px;line-height:20px;color:#374151;">${e(expires)}</p>
<p style="margin:0;font-family:${FONT};font-size:13px;line-height:19px;color:#6b7280;">${e(tr.t("invite.linkFallback"))}<br>
<a href="${e(link)}" style="color:${linkColor};word-break:break-all;">${e(link)}</a></p>
</td></tr>
<tr><td style="padding:20px 8px 0 8px;font-family:${FONT};font-size:12px;line-height:18px;color:#6b7280;word-break:break-word;overflow-wrap:anywhere;">
<p style="margin:0 0 8px 0;">${e(why)}</p>
${support ? `<p style="margin:0;">${e(tr.t("invite.support", { supportEmail: "\u0000" })).replace("\u0000", `<a href="mailto:${e(supportEmail as string)}" style="color:#374151;">${e(supportEmail as string)}</a>`)}</p>` : ""}
</td></tr>
</table>
</td></tr>
</table>
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

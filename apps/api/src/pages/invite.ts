import { type Reason, TARGETS } from "@admit/domain";
import { chooseLocale, type MessageId, type Translator, translator } from "@admit/i18n";
import { getTRPCErrorFromUnknown } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { errorData } from "../errors.ts";
import { appRouter } from "../router.ts";
import type { Context } from "../trpc.ts";
import { type Brand, escapeHtml as e, layout, type Page } from "./layout.ts";

type Preview = Awaited<ReturnType<ReturnType<typeof appRouter.createCaller>["invites"]["preview"]>>;
type PreviewTarget = Preview["targets"][number];

/** What a page request brings besides its token: the browser's languages. */
export interface PageRequest {
  readonly acceptLanguage: string | null;
}

/**
 * What the pages say for each reason, in the reader's language; `null` shows the general
 * sentence. Typed over the whole catalogue, so a new reason needs a decision here too.
 */
const SENTENCES = {
  invite_not_found: "page.problem.invite_not_found",
  invite_superseded: "page.problem.invite_superseded",
  invite_already_accepted: "page.problem.invite_already_accepted",
  invite_declined: "page.problem.invite_declined",
  invite_revoked: "page.problem.invite_revoked",
  invite_expired: "page.problem.invite_expired",
  inviter_lost_authority: "page.problem.inviter_lost_authority",
  link_invite_not_found: "page.problem.link_invite_not_found",
  link_invite_disabled: "page.problem.link_invite_disabled",
  link_invite_expired: "page.problem.link_invite_expired",
  link_invite_used_up: "page.problem.link_invite_used_up",
  invalid_input: null,
  already_member: null,
  organization_not_found: null,
  website_not_found: null,
  group_not_found: null,
  member_not_found: null,
  user_not_found: null,
  api_key_not_found: null,
  webhook_not_found: null,
  global_key_required: null,
  api_key_required: null,
  user_token_required: null,
  group_requires_global_key: null,
  insufficient_role: null,
  role_above_own: null,
  email_domain_not_allowed: null,
  missing_credentials: null,
  invalid_credentials: null,
  resend_throttled: null,
  email_quota_exceeded: null,
  invalid_idempotency_key: null,
  idempotency_key_reused: null,
  idempotency_request_in_progress: null,
  webhook_disabled: null,
} as const satisfies Record<Reason, MessageId | null>;

const TITLES: Partial<Record<string, MessageId>> = {
  invite_expired: "page.problem.expiredTitle",
  link_invite_expired: "page.problem.expiredTitle",
  invite_already_accepted: "page.problem.usedTitle",
};

/** The sentence for a refusal, in the reader's language; unknown reasons get the general one. */
export const problemText = (tr: Translator, reason: string): string =>
  tr.t((SENTENCES as Record<string, MessageId | null>)[reason] ?? "page.problem.generic");

/**
 * The page for a link that cannot be used: what happened and what to do, never internals. A
 * malformed token or code is, to the reader, a link that does not exist.
 */
export const problemPage = (
  tr: Translator,
  cause: unknown,
  brand: Brand | null = null,
  notFound = "invite_not_found",
): Page => {
  const error = getTRPCErrorFromUnknown(cause);
  const malformed = error.code === "BAD_REQUEST";
  const reason = malformed ? notFound : errorData(error).reason;
  const status = malformed ? 404 : getHTTPStatusCodeFromError(error);
  const title = tr.t(TITLES[reason] ?? "page.problem.title");
  const text = status >= 500 ? tr.t("page.problem.generic") : problemText(tr, reason);
  return layout({ status, tr, title, brand, body: problemBody(tr, title, text, brand) });
};

/** What a problem page says: the mark, the title, the sentence, and whom to ask when there is someone. */
export const problemBody = (tr: Translator, title: string, text: string, brand: Brand | null): string => {
  const help = brand?.supportEmail
    ? `<div class="note"><p>${e(tr.t("page.problem.contact", { supportEmail: "\u0000" })).replace(
        "\u0000",
        `<a href="mailto:${e(brand.supportEmail)}">${e(brand.supportEmail)}</a>`,
      )}</p></div>`
    : "";
  return `<div class="status warn" aria-hidden="true">!</div>
<h1>${e(title)}</h1>
<p class="lead">${e(text)}</p>${help}`;
};

const brandOf = (preview: Preview): Brand | null =>
  preview.organization === null
    ? null
    : {
        name: preview.organization.name,
        logoUrl: preview.organization.logoUrl,
        primaryColor: preview.organization.primaryColor,
        supportEmail: preview.organization.supportEmail,
      };

/** A target as a person would name it, with what kind of place it is. */
const nameOf = (t: PreviewTarget): string => t.name || "—";

/** "the Blog website at Acme", "Acme", or "3 places at Acme". */
const placeOf = (tr: Translator, preview: Preview): string => {
  const brand = preview.organization?.name ?? null;
  const [only] = preview.targets;
  if (preview.targets.length === 1 && only) {
    if (only.type === "organization") return brand ?? nameOf(only);
    if (only.type === "group") return tr.t("place.group", { name: nameOf(only) });
    const org = brand ?? only.organization?.name ?? null;
    return org ? tr.t("place.websiteAt", { name: nameOf(only), org }) : tr.t("place.website", { name: nameOf(only) });
  }
  return brand
    ? tr.t("place.manyAt", { count: preview.targets.length, org: brand })
    : tr.t("place.many", { count: preview.targets.length });
};

const placesList = (tr: Translator, targets: ReadonlyArray<PreviewTarget>, brand: string | null): string =>
  `<ul class="places">${targets
    .map((t) => {
      const owner = TARGETS[t.type].owner === "organization" ? (brand ?? t.organization?.name ?? null) : null;
      const name = TARGETS[t.type].owner === "itself" ? (brand ?? nameOf(t)) : nameOf(t);
      return `<li><span class="name">${e(name)}<span class="kind">${e(tr.t(`kind.${t.type}`))}${
        owner ? ` · ${e(owner)}` : ""
      }</span></span><span class="role">${e(tr.t(`role.${t.role}`))}</span></li>`;
    })
    .join("")}</ul>`;

const localeOf = (preview: Preview | null, req: PageRequest) =>
  translator(chooseLocale([preview?.locale], req.acceptLanguage));

const hidden = (token: string) => `<input type="hidden" name="token" value="${e(token)}">`;

/**
 * The invite behind `token` with the translator and brand its page is shown in, or the page that
 * explains why there is none (unknown, expired, already answered).
 */
const loadInvite = async (
  ctx: Context,
  token: string,
  req: PageRequest,
): Promise<{ preview: Preview; tr: ReturnType<typeof localeOf>; brand: ReturnType<typeof brandOf> } | Page> => {
  let preview: Preview;
  try {
    preview = await appRouter.createCaller(ctx).invites.preview({ token });
  } catch (cause) {
    return problemPage(localeOf(null, req), cause);
  }
  return { preview, tr: localeOf(preview, req), brand: brandOf(preview) };
};

/**
 * The page behind the link in an invitation email. Opening it only previews (mail scanners
 * fetch links); accepting takes a POST from its form, declining a confirmation on its own page.
 */
export const invitePage = async (ctx: Context, token: string, req: PageRequest): Promise<Page> => {
  const loaded = await loadInvite(ctx, token, req);
  return "preview" in loaded ? inviteForm(loaded, token, false) : loaded;
};

/** The invitation and its form; after a refused name, again with a 400 and what to correct. */
const inviteForm = (
  { preview, tr, brand }: { preview: Preview; tr: Translator; brand: Brand | null },
  token: string,
  nameRefused: boolean,
): Page => {
  const title = tr.t("page.invite.title", { place: placeOf(tr, preview) });
  const expires = tr.t("page.invite.expires", { date: tr.date(new Date(preview.expiresAt)) });
  return layout({
    ...(nameRefused ? { status: 400 } : {}),
    tr,
    title,
    brand,
    body: `<h1>${e(title)}</h1>
<p class="lead">${e(tr.t("page.invite.lead", { inviter: preview.invitedBy || tr.t("invite.someone") }))}</p>
${placesList(tr, preview.targets, brand?.name ?? null)}
<form method="post" action="/invites/accept">${hidden(token)}
<fieldset><legend>${e(tr.t("page.invite.details"))}</legend>${
      nameRefused ? `\n<p class="note" role="alert">${e(tr.t("page.invite.nameInvalid"))}</p>` : ""
    }
<div class="fields">
<label for="firstName">${e(tr.t("page.invite.firstName"))}<input type="text" id="firstName" name="firstName" autocomplete="given-name" maxlength="100"></label>
<label for="lastName">${e(tr.t("page.invite.lastName"))}<input type="text" id="lastName" name="lastName" autocomplete="family-name" maxlength="100"></label>
</div></fieldset>
<div class="actions">
<button class="button primary" type="submit">${e(tr.t("page.invite.accept"))}</button>
<a class="button secondary" href="/invites/decline?token=${encodeURIComponent(token)}">${e(tr.t("page.invite.decline"))}</a>
</div>
</form>
<p class="muted">${e(expires)}</p>`,
  });
};

/** Declining asks once more, on a page of its own: a stray click on the email's page never declines. */
export const declinePage = async (ctx: Context, token: string, req: PageRequest): Promise<Page> => {
  const loaded = await loadInvite(ctx, token, req);
  if (!("preview" in loaded)) return loaded;
  const { preview, tr, brand } = loaded;
  const title = tr.t("page.invite.declineTitle");
  return layout({
    tr,
    title,
    brand,
    body: `<h1>${e(title)}</h1>
<p class="lead">${e(tr.t("page.invite.declineLead", { inviter: preview.invitedBy || tr.t("invite.someone") }))}</p>
${placesList(tr, preview.targets, brand?.name ?? null)}
<form method="post" action="/invites/decline">${hidden(token)}
<div class="actions">
<button class="button primary" type="submit">${e(tr.t("page.invite.declineConfirm"))}</button>
<a class="button secondary" href="/invites/accept?token=${encodeURIComponent(token)}">${e(tr.t("page.invite.declineCancel"))}</a>
</div>
</form>`,
  });
};

/**
 * The answer to the page's forms. The preview is read first (it consumes nothing) for the names,
 * branding and language of the result page; then the one mutation that counts.
 */
export const answerPage = async (
  ctx: Context,
  action: "accept" | "decline",
  form: URLSearchParams,
  req: PageRequest,
): Promise<Page> => {
  const token = form.get("token") ?? "";
  const name = (key: string) => {
    const value = form.get(key)?.trim();
    return value ? value : undefined;
  };
  // When the preview fails, the mutation below fails the same way and its error is the one to show.
  const loaded = await loadInvite(ctx, token, req);
  const { preview, tr, brand } = "preview" in loaded ? loaded : { preview: null, tr: localeOf(null, req), brand: null };
  try {
    const caller = appRouter.createCaller(ctx);
    if (action === "decline") {
      await caller.invites.decline({ token });
      const title = tr.t("page.declined.title");
      return layout({
        tr,
        title,
        brand,
        body: `<div class="status off" aria-hidden="true">✕</div>
<h1>${e(title)}</h1>
<p class="lead">${e(tr.t("page.declined.lead"))}</p>`,
      });
    }
    const firstName = name("firstName");
    const lastName = name("lastName");
    const result = await caller.invites.accept({
      token,
      ...(firstName ? { firstName } : {}),
      ...(lastName ? { lastName } : {}),
    });
    const granted = new Set(result.memberships.map((m) => `${m.target.type}:${m.target.id}`));
    const targets = (preview?.targets ?? []).filter((t) => granted.has(`${t.type}:${t.id}`));
    const places = tr.list(
      targets.map((t) => (TARGETS[t.type].owner === "itself" ? (brand?.name ?? nameOf(t)) : nameOf(t))),
    );
    const title = tr.t("page.done.title");
    const next = result.redirectUrl;
    const app = brand?.name ?? (next ? new URL(next).host : "");
    return layout({
      tr,
      title,
      brand,
      refreshTo: next,
      body: `<div class="status ok" aria-hidden="true">✓</div>
<h1>${e(title)}</h1>
<p class="lead">${e(tr.t("page.done.lead", { places: places || brand?.name || "—" }))}</p>
${placesList(tr, targets, brand?.name ?? null)}
${
  next
    ? `<div class="actions"><a class="button primary" href="${e(next)}">${e(tr.t("page.done.continue", { app }))}</a></div>
<p class="muted" role="status">${e(tr.t("page.done.redirecting"))}</p>`
    : `<p class="muted">${e(tr.t("page.done.close"))}</p>`
}`,
    });
  } catch (cause) {
    // A name the API refuses is no fault of the link: the form comes back, saying what to correct.
    const fields = Object.keys(errorData(getTRPCErrorFromUnknown(cause)).fieldErrors ?? {});
    if (preview && fields.length > 0 && fields.every((f) => f === "firstName" || f === "lastName")) {
      return inviteForm({ preview, tr, brand }, token, true);
    }
    return problemPage(tr, cause, brand);
  }
};

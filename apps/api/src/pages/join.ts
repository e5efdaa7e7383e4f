import { chooseLocale, translator } from "@admit/i18n";
import { appRouter } from "../router.ts";
import type { Context } from "../trpc.ts";
import { type PageRequest, problemBody, problemPage, problemText } from "./invite.ts";
import { escapeHtml as e, layout, type Page } from "./layout.ts";

/**
 * Where the link's page hands the person over: the organization's app, with the link's code and
 * organization as query parameters, so that the app signs the person in and calls
 * `linkInvites.join` for them.
 */
export const handOverUrl = (appUrl: string, organizationId: string, code: string): string => {
  const url = new URL(appUrl);
  url.searchParams.set("admit_organization_id", organizationId);
  url.searchParams.set("admit_link_code", code);
  return url.href;
};

/**
 * The page a link invite's url opens: the organization, the access it grants, how long and how
 * often it still works, and the way on. Read-only: opening it never counts a use.
 */
export const joinPage = async (ctx: Context, organizationId: string, code: string, req: PageRequest): Promise<Page> => {
  let preview: Awaited<ReturnType<ReturnType<typeof appRouter.createCaller>["linkInvites"]["preview"]>>;
  try {
    preview = await appRouter.createCaller(ctx).linkInvites.preview({ organizationId, code });
  } catch (cause) {
    return problemPage(translator(chooseLocale([], req.acceptLanguage)), cause, null, "link_invite_not_found");
  }
  const org = preview.organization;
  const tr = translator(chooseLocale([org.locale], req.acceptLanguage));
  const brand = {
    name: org.name,
    logoUrl: org.logoUrl,
    primaryColor: org.primaryColor,
    supportEmail: org.supportEmail,
  };
  // A link that cannot be used says so first, as any unusable link does, and not "Join" over
  // facts (uses left, expiry) that no longer matter; the organization's branding stays.
  if (!preview.usable) {
    const title = tr.t("page.problem.title");
    return layout({ tr, title, brand, body: problemBody(tr, title, problemText(tr, preview.reason ?? ""), brand) });
  }
  const title = tr.t("page.link.title", { org: org.name });
  const facts: string[] = [tr.t("page.link.role", { role: tr.t(`role.${preview.role}`) })];
  if (preview.expiresAt) {
    const at = new Date(preview.expiresAt);
    facts.push(tr.t("page.link.expires", { date: tr.date(at), relative: tr.relative(at, new Date()) }));
  } else facts.push(tr.t("page.link.noExpiry"));
  if (preview.remainingUses !== null) facts.push(tr.t("page.link.uses", { count: preview.remainingUses }));
  if (preview.allowedEmailDomains.length > 0)
    facts.push(tr.t("page.link.domains", { domains: tr.list(preview.allowedEmailDomains.map((d) => `@${d}`)) }));

  let next: string;
  if (org.appUrl) {
    next = `<div class="actions"><a class="button primary" href="${e(handOverUrl(org.appUrl, org.id, code))}">${e(
      tr.t("page.link.continue", { org: org.name }),
    )}</a></div>
<p class="muted">${e(tr.t("page.link.signIn"))}</p>`;
  } else if (org.supportEmail) {
    next = `<p class="lead">${e(tr.t("page.link.noApp", { whom: "\u0000", org: org.name })).replace(
      "\u0000",
      `<a href="mailto:${e(org.supportEmail)}">${e(org.supportEmail)}</a>`,
    )}</p>`;
  } else {
    next = `<p class="lead">${e(tr.t("page.link.noAppNoSupport", { org: org.name }))}</p>`;
  }
  return layout({
    tr,
    title,
    brand,
    body: `<h1>${e(title)}</h1>
<p class="lead">${e(tr.t("page.link.lead", { org: org.name }))}</p>
<ul class="places">${facts.map((f) => `<li>${e(f)}</li>`).join("")}</ul>
${next}`,
  });
};

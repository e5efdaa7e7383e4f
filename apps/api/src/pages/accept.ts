import { type Reason, TARGETS } from "@admit/domain";
import { getTRPCErrorFromUnknown } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { errorData } from "../errors.ts";
import { appRouter } from "../router.ts";
import type { Context } from "../trpc.ts";

export interface Page {
  readonly status: number;
  readonly html: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
li{margin:.25rem 0}input{font:inherit;padding:.3rem;margin:.2rem 0;width:100%;box-sizing:border-box}
button{font:inherit;padding:.5rem 1rem;margin:.5rem .5rem 0 0;cursor:pointer}.muted{color:#59636e}</style>
</head><body>${body}</body></html>`;

/**
 * What the page says for each reason; `null` shows the general sentence for the status. Typed
 * over the whole catalogue, so a new reason needs a decision here too.
 */
const SENTENCES = {
  invite_not_found: "This invitation link is not valid.",
  invite_superseded: "This invitation was replaced by a newer one. Use the link in the latest email.",
  invite_already_accepted: "This invitation has already been accepted.",
  invite_declined: "This invitation was declined.",
  invite_revoked: "This invitation was withdrawn.",
  invite_expired: "This invitation has expired. Ask for a new one.",
  inviter_lost_authority: "The person who invited you can no longer grant this access.",
  invalid_input: null,
  already_member: null,
  organization_not_found: null,
  website_not_found: null,
  group_not_found: null,
  member_not_found: null,
  user_not_found: null,
  api_key_not_found: null,
  link_invite_not_found: null,
  webhook_not_found: null,
  global_key_required: null,
  api_key_required: null,
  user_token_required: null,
  group_requires_global_key: null,
  insufficient_role: null,
  role_above_own: null,
  email_domain_not_allowed: null,
  link_invite_disabled: null,
  link_invite_expired: null,
  link_invite_used_up: null,
  missing_credentials: null,
  invalid_credentials: null,
  resend_throttled: null,
  email_quota_exceeded: null,
  invalid_idempotency_key: null,
  idempotency_key_reused: null,
  idempotency_request_in_progress: null,
} as const satisfies Record<Reason, string | null>;

const sentenceFor = (reason: string): string | null =>
  Object.hasOwn(SENTENCES, reason) ? SENTENCES[reason as Reason] : null;

const problem = (cause: unknown): Page => {
  const error = getTRPCErrorFromUnknown(cause);
  const { reason } = errorData(error);
  const status = getHTTPStatusCodeFromError(error);
  const message =
    sentenceFor(reason) ?? (status >= 500 ? "Something went wrong. Try again later." : "This link cannot be used.");
  return { status, html: layout("Invitation", `<h1>Invitation</h1><p>${escapeHtml(message)}</p>`) };
};

/**
 * The page behind the link in an invitation email. Opening it only previews (mail scanners
 * fetch links); accepting or declining takes a POST from its buttons.
 */
export const acceptPage = async (ctx: Context, token: string): Promise<Page> => {
  try {
    const preview = await appRouter.createCaller(ctx).invites.preview({ token });
    const items = preview.targets
      .map((t) => {
        const where =
          t.organization && TARGETS[t.type].owner !== "itself"
            ? ` <span class="muted">(${escapeHtml(t.organization.name)})</span>`
            : "";
        return `<li><strong>${escapeHtml(t.name)}</strong>${where} — ${escapeHtml(t.role)}</li>`;
      })
      .join("");
    const until = new Date(preview.expiresAt).toUTCString();
    const hidden = `<input type="hidden" name="token" value="${escapeHtml(token)}">`;
    return {
      status: 200,
      html: layout(
        "You are invited",
        `<h1>You are invited</h1>
<p>${escapeHtml(preview.invitedBy)} invited you to:</p><ul>${items}</ul>
<p class="muted">This invitation is valid until ${escapeHtml(until)}.</p>
<form method="post" action="/invites/accept">${hidden}
<label>First name <input name="firstName" autocomplete="given-name" maxlength="100"></label>
<label>Last name <input name="lastName" autocomplete="family-name" maxlength="100"></label>
<button type="submit">Accept invitation</button></form>
<form method="post" action="/invites/decline">${hidden}<button type="submit">Decline</button></form>`,
      ),
    };
  } catch (cause) {
    return problem(cause);
  }
};

export const answerPage = async (ctx: Context, action: "accept" | "decline", form: URLSearchParams): Promise<Page> => {
  const token = form.get("token") ?? "";
  const name = (key: string) => {
    const value = form.get(key)?.trim();
    return value ? value : undefined;
  };
  try {
    const caller = appRouter.createCaller(ctx);
    if (action === "decline") {
      await caller.invites.decline({ token });
      return {
        status: 200,
        html: layout("Invitation declined", "<h1>Invitation declined</h1><p>Nothing more to do.</p>"),
      };
    }
    const firstName = name("firstName");
    const lastName = name("lastName");
    const result = await caller.invites.accept({
      token,
      ...(firstName ? { firstName } : {}),
      ...(lastName ? { lastName } : {}),
    });
    const n = result.memberships.length;
    return {
      status: 200,
      html: layout("Welcome", `<h1>Welcome</h1><p>You now have access to ${n} ${n === 1 ? "place" : "places"}.</p>`),
    };
  } catch (cause) {
    return problem(cause);
  }
};

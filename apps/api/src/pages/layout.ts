import { randomBytes } from "node:crypto";
import { brandColors, type Translator } from "@admit/i18n";

/** One HTML answer and the headers that go with it. */
export interface Page {
  readonly status: number;
  readonly html: string;
  /** The page's own Content-Security-Policy: its style nonce, and the logo's origin for images. */
  readonly csp: string;
}

/** How the organization behind a page presents itself. */
export interface Brand {
  readonly name: string;
  readonly logoUrl: string | null;
  readonly primaryColor: string | null;
  readonly supportEmail: string | null;
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/**
 * The one stylesheet of every page: a card on a quiet background, a clear hierarchy, a primary
 * button in the organization's colour (`--accent`, with `--on-accent` chosen for contrast),
 * visible focus rings, and a layout that holds from 320px phones up.
 */
const STYLESHEET = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;min-height:100vh;background:#f3f4f6;color:#111827;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;display:flex;flex-direction:column;align-items:center;padding:3rem 1rem 2rem}
.brand{display:flex;align-items:center;gap:.75rem;min-height:40px;margin:0 0 1.25rem;width:100%;max-width:34rem;padding:0 .25rem}
.brand img{display:block;max-height:40px;max-width:200px;font-weight:700;font-size:1.125rem;color:#111827}
.brand span{font-weight:700;font-size:1.125rem;letter-spacing:-.01em;min-width:0;overflow-wrap:anywhere}
main{width:100%;max-width:34rem;background:#fff;border-radius:16px;border-top:4px solid var(--accent);box-shadow:0 1px 2px rgba(17,24,39,.06),0 8px 24px rgba(17,24,39,.06);padding:2rem}
h1{font-size:1.625rem;line-height:1.25;letter-spacing:-.015em;margin:0 0 .75rem;overflow-wrap:anywhere}
p{margin:0 0 1rem}
.lead{color:#374151;font-size:1.0625rem;overflow-wrap:anywhere}
.muted{color:#4b5563;font-size:.9375rem}
.status{display:flex;align-items:center;justify-content:center;width:3rem;height:3rem;border-radius:999px;margin:0 0 1.25rem;font-size:1.5rem;font-weight:700;line-height:1}
.status.ok{background:#dcfce7;color:#166534}
.status.off{background:#f3f4f6;color:#374151}
.status.warn{background:#fef3c7;color:#92400e}
.places{list-style:none;margin:0 0 1.5rem;padding:0;border:1px solid #e5e7eb;border-radius:12px}
.places li{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.5rem 1rem;padding:.875rem 1rem}
.places li+li{border-top:1px solid #e5e7eb}
.places .name{font-weight:600;min-width:0;overflow-wrap:anywhere}
.places .kind{display:block;color:#4b5563;font-size:.875rem;font-weight:400}
.role{flex:none;font-size:.875rem;color:#1f2937;background:#f3f4f6;border-radius:999px;padding:.25rem .75rem;white-space:nowrap}
fieldset{border:0;margin:0 0 1.25rem;padding:0}
legend{font-weight:600;font-size:.9375rem;margin:0 0 .5rem;padding:0}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:.75rem}
label{display:block;font-size:.875rem;color:#374151;font-weight:500}
input[type=text]{display:block;width:100%;margin-top:.25rem;font:inherit;color:inherit;padding:.625rem .75rem;border:1px solid #9ca3af;border-radius:10px;background:#fff}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin:0 0 1.25rem}
.button{display:inline-flex;align-items:center;justify-content:center;min-height:2.875rem;max-width:100%;padding:.75rem 1.375rem;border-radius:10px;font:inherit;font-weight:600;text-align:center;overflow-wrap:anywhere;text-decoration:none;cursor:pointer;border:1px solid transparent}
.button.primary{background:var(--accent);color:var(--on-accent);border-color:var(--edge)}
.button.primary:hover{filter:brightness(.93)}
.button.secondary{background:#fff;color:#1f2937;border-color:#d1d5db}
.button.secondary:hover{background:#f9fafb}
a{color:var(--link)}
:focus-visible{outline:3px solid var(--link);outline-offset:2px}
input[type=text]:focus-visible{outline:3px solid var(--link);outline-offset:0;border-color:var(--link)}
.note{border-top:1px solid #e5e7eb;padding-top:1rem;margin:1.25rem 0 0;color:#4b5563;font-size:.875rem}
.note p{margin:0 0 .375rem}
footer{margin-top:1.5rem;color:#6b7280;font-size:.8125rem;text-align:center}
@media (max-width:480px){body{padding:1.25rem .75rem}main{padding:1.5rem 1.25rem;border-radius:14px}h1{font-size:1.375rem}.fields{grid-template-columns:1fr}.actions .button{width:100%}}
@media (prefers-reduced-motion:no-preference){.button{transition:filter .15s,background-color .15s}}
`;

const originOf = (url: string | null): string | null => {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
};

export interface LayoutOptions {
  readonly status?: number;
  readonly tr: Translator;
  readonly title: string;
  readonly brand: Brand | null;
  readonly body: string;
  /** Sends the browser on after a few seconds (a meta refresh: no script, so the CSP stays strict). */
  readonly refreshTo?: string | null;
}

/**
 * A complete page. Everything interpolated into it is escaped by the caller with `escapeHtml`;
 * the stylesheet runs under a per-response nonce, images only from the logo's origin, and no
 * script at all.
 */
export const layout = (o: LayoutOptions): Page => {
  const nonce = randomBytes(16).toString("base64");
  // Links and focus rings use the accent only when it reads on white; otherwise a dark blue that does.
  const { accent, onAccent, link, edge } = brandColors(o.brand?.primaryColor);
  const logoOrigin = originOf(o.brand?.logoUrl ?? null);
  const brand = o.brand
    ? `<header class="brand">${
        o.brand.logoUrl
          ? `<img src="${escapeHtml(o.brand.logoUrl)}" alt="${escapeHtml(o.brand.name)}">`
          : `<span>${escapeHtml(o.brand.name)}</span>`
      }</header>`
    : "";
  const refresh = o.refreshTo ? `<meta http-equiv="refresh" content="4;url=${escapeHtml(o.refreshTo)}">` : "";
  const html = `<!doctype html>
<html lang="${o.tr.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
${refresh}<title>${escapeHtml(o.title)}</title>
<style nonce="${nonce}">:root{--accent:${accent};--on-accent:${onAccent};--link:${link};--edge:${edge}}${STYLESHEET}</style>
</head>
<body>
${brand}<main>
${o.body}
</main>
<footer>${escapeHtml(o.tr.t("page.footer"))}</footer>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    ...(logoOrigin ? [`img-src ${logoOrigin}`] : []),
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
  return { status: o.status ?? 200, html, csp };
};

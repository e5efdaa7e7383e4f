import { Effect } from "effect";
import { canActInOrganization } from "../access/Access.ts";
import type { Principal } from "../access/Principal.ts";
import { Forbidden, InvalidInput, NotFound } from "../errors/Errors.ts";
import { actorOf } from "../events/Event.ts";
import { emit } from "../events/Events.ts";
import { parseEmail } from "../shared/Email.ts";
import { Transactor } from "../shared/Transactor.ts";
import { type OrganizationSettings, TenancyRepository } from "../tenancy/TenancyRepository.ts";

/** The languages Admit's emails and pages speak; the message catalogue has exactly these. */
export const SUPPORTED_LOCALES = ["en", "fr", "de"] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];

export const isSupportedLocale = (value: string): value is Locale =>
  (SUPPORTED_LOCALES as ReadonlyArray<string>).includes(value);

/** Settings of an organization that has none yet. */
export const NO_SETTINGS: OrganizationSettings = {
  displayName: null,
  logoUrl: null,
  primaryColor: null,
  supportEmail: null,
  locale: null,
  allowedRedirectOrigins: [],
  appUrl: null,
  emailInvitesPerHour: null,
};

export const MAX_URL_LENGTH = 2000;
export const MAX_REDIRECT_ORIGINS = 20;

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * An absolute web address people can be sent to: `https`, or plain `http` only on the local
 * machine (development). No user name or password in it, which could disguise where it leads
 * (`https://trusted.example@evil.example`).
 */
export const parseWebUrl = (raw: string): Parsed<URL> => {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, message: `At most ${MAX_URL_LENGTH} characters` };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters and spaces are refused, never cleaned.
  if (/[\u0000-\u0020\u007f\\]/.test(raw)) return { ok: false, message: "Must be a URL without spaces or backslashes" };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: "Must be an absolute URL such as https://app.example.com" };
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname))) {
    return { ok: false, message: "Must be an https URL (http only for localhost)" };
  }
  if (url.username !== "" || url.password !== "")
    return { ok: false, message: "Must not contain a user name or password" };
  // Host names are letters, digits, dots and hyphens (IDNs arrive as punycode); no wildcards.
  if (!/^[a-z0-9.-]+$/.test(url.hostname) && !url.hostname.startsWith("[")) {
    return { ok: false, message: "Must name one host (no wildcards)" };
  }
  return { ok: true, value: url };
};

/** An origin alone (`https://app.example.com`, port allowed): no path, query or fragment. */
export const parseOrigin = (raw: string): Parsed<string> => {
  const parsed = parseWebUrl(raw);
  if (!parsed.ok) return parsed;
  const origin = parsed.value.origin;
  if (raw.replace(/\/$/, "").toLowerCase() !== origin.toLowerCase()) {
    return { ok: false, message: `Must be an origin only, such as ${origin}` };
  }
  return { ok: true, value: origin };
};

/** `#rgb` or `#rrggbb`, kept as `#rrggbb` in lower case. */
export const parseColor = (raw: string): Parsed<string> => {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(raw.trim());
  if (!m?.[1]) return { ok: false, message: "Must be a hex colour such as #1f6feb" };
  const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join("") : m[1];
  return { ok: true, value: `#${hex.toLowerCase()}` };
};

/**
 * Where an accepted invite may send the person: an absolute https URL whose origin the
 * organization allowed. Anything else would make Admit an open redirect.
 */
export const checkRedirectUrl = (raw: string, allowedOrigins: ReadonlyArray<string>): Parsed<string> => {
  const parsed = parseWebUrl(raw);
  if (!parsed.ok) return parsed;
  if (!allowedOrigins.includes(parsed.value.origin)) {
    return {
      ok: false,
      message:
        allowedOrigins.length === 0
          ? "The organization allows no redirect origins (organizations.update allowedRedirectOrigins)"
          : `Origin ${parsed.value.origin} is not among the organization's allowed redirect origins`,
    };
  }
  return { ok: true, value: parsed.value.href };
};

export const parseLocale = (raw: string): Parsed<Locale> => {
  const value = raw.trim().toLowerCase();
  return isSupportedLocale(value)
    ? { ok: true, value }
    : { ok: false, message: `Must be one of: ${SUPPORTED_LOCALES.join(", ")}` };
};

export interface UpdateOrganizationInput {
  readonly organizationId: string;
  readonly name?: string | undefined;
  readonly displayName?: string | null | undefined;
  readonly logoUrl?: string | null | undefined;
  readonly primaryColor?: string | null | undefined;
  readonly supportEmail?: string | null | undefined;
  readonly locale?: string | null | undefined;
  readonly allowedRedirectOrigins?: ReadonlyArray<string> | undefined;
  readonly appUrl?: string | null | undefined;
  readonly emailInvitesPerHour?: number | null | undefined;
}

export type OrganizationChanges = Partial<OrganizationSettings> & { readonly name?: string };

const trimmed =
  (max: number) =>
  (raw: string): Parsed<string | null> => {
    const value = raw.trim();
    return value.length > max
      ? { ok: false, message: `At most ${max} characters` }
      : { ok: true, value: value || null };
  };

const href = (raw: string): Parsed<string> => {
  const parsed = parseWebUrl(raw);
  return parsed.ok ? { ok: true, value: parsed.value.href } : parsed;
};

const email = (raw: string): Parsed<string> => {
  const parsed = parseEmail(raw);
  return parsed.ok ? { ok: true, value: parsed.email } : { ok: false, message: parsed.message };
};

/** The settings a string (or `null`, which clears) sets, each with its rule. */
const TEXT_SETTINGS: Record<
  "displayName" | "logoUrl" | "primaryColor" | "supportEmail" | "locale" | "appUrl",
  (raw: string) => Parsed<string | null>
> = {
  displayName: trimmed(200),
  logoUrl: href,
  primaryColor: parseColor,
  supportEmail: email,
  locale: parseLocale,
  appUrl: href,
};

/** Checks every field at once, so that one answer names every bad one. */
export const parseOrganizationChanges = (
  input: UpdateOrganizationInput,
): { ok: true; changes: OrganizationChanges } | { ok: false; error: InvalidInput } => {
  const fieldErrors: Record<string, string[]> = {};
  const changes: Record<string, unknown> = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (name.length === 0) fieldErrors.name = ["Required"];
    else changes.name = name;
  }
  for (const [field, parse] of Object.entries(TEXT_SETTINGS)) {
    const raw = input[field as keyof typeof TEXT_SETTINGS];
    if (raw === undefined) continue;
    if (raw === null) {
      changes[field] = null;
      continue;
    }
    const parsed = parse(raw);
    if (parsed.ok) changes[field] = parsed.value;
    else fieldErrors[field] = [parsed.message];
  }
  if (input.allowedRedirectOrigins !== undefined) {
    const origins: string[] = [];
    input.allowedRedirectOrigins.forEach((raw, i) => {
      const parsed = parseOrigin(raw);
      if (!parsed.ok) fieldErrors[`allowedRedirectOrigins.${i}`] = [parsed.message];
      else if (!origins.includes(parsed.value)) origins.push(parsed.value);
    });
    if (input.allowedRedirectOrigins.length > MAX_REDIRECT_ORIGINS)
      fieldErrors.allowedRedirectOrigins = [`At most ${MAX_REDIRECT_ORIGINS} origins`];
    changes.allowedRedirectOrigins = origins;
  }
  if (input.emailInvitesPerHour !== undefined) {
    const n = input.emailInvitesPerHour;
    if (n !== null && (!Number.isInteger(n) || n < 0 || n > 1_000_000))
      fieldErrors.emailInvitesPerHour = ["Must be a whole number from 0 to 1000000"];
    else changes.emailInvitesPerHour = n;
  }
  return Object.keys(fieldErrors).length > 0
    ? { ok: false, error: new InvalidInput({ message: "Invalid input", fieldErrors }) }
    : { ok: true, changes: changes as OrganizationChanges };
};

/**
 * `organizations.update`: the organization's name, branding and product settings. Its own
 * organization key or a global key; the email quota only with a global key (it protects the
 * platform's sending reputation, not the organization's).
 */
export const updateOrganization = Effect.fn("Organizations.update")(function* (
  principal: Principal,
  input: UpdateOrganizationInput,
) {
  if (principal.kind === "user") return yield* new Forbidden({ reason: "api_key_required" });
  if (!canActInOrganization(principal, input.organizationId))
    return yield* new NotFound({ reason: "organization_not_found" });
  if (input.emailInvitesPerHour !== undefined && principal.kind !== "global")
    return yield* new Forbidden({ reason: "global_key_required" });
  const parsed = parseOrganizationChanges(input);
  if (!parsed.ok) return yield* parsed.error;
  const tenancy = yield* TenancyRepository;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const updated = yield* tenancy.updateOrganization(input.organizationId, parsed.changes);
      if (updated === null) return yield* new NotFound({ reason: "organization_not_found" });
      // The event names what the request set, with the values it set (none of them is a secret).
      yield* emit([
        {
          type: "organization.updated",
          organizationId: updated.id,
          actor: actorOf(principal),
          subject: { type: "organization", id: updated.id },
          data: { organizationId: updated.id, changes: parsed.changes },
        },
      ]);
      return updated;
    }),
  );
});

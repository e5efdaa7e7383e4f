import { lookup } from "node:dns/promises";
import { WebhookUrlPolicy } from "@admit/domain";
import { Effect, Layer } from "effect";
import ipaddr from "ipaddr.js";

/**
 * Where webhooks may go. Hosts in `WEBHOOK_ALLOWED_HOSTS` may be called over plain http and at
 * any address (development, tests, a receiver inside the operator's network); every other host
 * needs https and must resolve only to public unicast addresses.
 */
export interface WebhookHostRules {
  readonly allowedHosts: ReadonlySet<string>;
}

export const parseAllowedHosts = (raw: string | undefined): ReadonlySet<string> =>
  new Set(
    (raw ?? "")
      .split(",")
      .map((h) =>
        h
          .trim()
          .toLowerCase()
          .replace(/^\[|\]$/g, ""),
      )
      .filter((h) => h.length > 0),
  );

const hostOf = (url: URL) => url.hostname.toLowerCase().replace(/^\[|\]$/g, "");

export const isAllowedHost = (rules: WebhookHostRules, hostname: string) =>
  rules.allowedHosts.has(hostname.toLowerCase().replace(/^\[|\]$/g, ""));

/** IPv6's global unicast space (2000::/3): ipaddr.js calls everything it has no range for unicast. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3");

/**
 * Only ipaddr.js's `unicast` range is public: private, loopback, link-local, unique-local,
 * carrier-grade NAT, multicast, reserved and the IPv4-mapped forms of them are all refused. An
 * IPv6 address must also be global unicast (2000::/3), which refuses the deprecated
 * IPv4-compatible form (`::127.0.0.1`) and the rest of the unassigned space.
 */
export const isPublicAddress = (address: string): boolean => {
  try {
    const parsed = ipaddr.process(address);
    if (parsed.range() !== "unicast") return false;
    return parsed.kind() === "ipv4" || (parsed as ipaddr.IPv6).match(GLOBAL_UNICAST_V6);
  } catch {
    return false;
  }
};

export const MAX_WEBHOOK_URL_LENGTH = 2000;

/** The URL's shape, without the network: an absolute https URL (http for allowed hosts), no credentials. */
export const checkUrlShape = (raw: string, rules: WebhookHostRules): string | null => {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return `At most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "Must be an absolute URL";
  }
  const allowed = isAllowedHost(rules, hostOf(url));
  if (url.protocol !== "https:" && !(url.protocol === "http:" && allowed)) {
    return allowed
      ? "Must be an http or https URL"
      : "Must be https (plain http only for hosts in WEBHOOK_ALLOWED_HOSTS)";
  }
  if (url.username !== "" || url.password !== "") return "Must not contain credentials";
  if (url.hash !== "") return "Must not contain a fragment";
  return null;
};

export const PRIVATE_ADDRESS_MESSAGE = "Must not point at a private, loopback or link-local address";

/** The addresses a host may be called at, or why it may not. */
export const resolveHost = async (
  hostname: string,
  rules: WebhookHostRules,
): Promise<
  { ok: true; addresses: ReadonlyArray<{ address: string; family: number }> } | { ok: false; message: string }
> => {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  let addresses: ReadonlyArray<{ address: string; family: number }>;
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: host.includes(":") ? 6 : 4 }];
  } else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      return { ok: false, message: "Host does not resolve" };
    }
  }
  if (addresses.length === 0) return { ok: false, message: "Host does not resolve" };
  if (!isAllowedHost(rules, host) && addresses.some((a) => !isPublicAddress(a.address))) {
    return { ok: false, message: PRIVATE_ADDRESS_MESSAGE };
  }
  return { ok: true, addresses };
};

/** The whole check, as at create and update time: the shape, then where the host resolves now. */
export const checkWebhookUrl = async (raw: string, rules: WebhookHostRules): Promise<string | null> => {
  const shape = checkUrlShape(raw, rules);
  if (shape !== null) return shape;
  const resolved = await resolveHost(new URL(raw).hostname, rules);
  return resolved.ok ? null : resolved.message;
};

export const WebhookUrlPolicyDns = (rules: WebhookHostRules) =>
  Layer.succeed(
    WebhookUrlPolicy,
    WebhookUrlPolicy.of({ check: (url) => Effect.promise(() => checkWebhookUrl(url, rules)) }),
  );

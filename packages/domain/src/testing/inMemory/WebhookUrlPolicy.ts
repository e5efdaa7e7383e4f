import { Effect, Layer } from "effect";
import { WebhookUrlPolicy } from "../../webhooks/WebhookRepository.ts";

/**
 * The shape of the real policy without the network: https, or http to `localhost`; hosts that
 * are literal private, loopback or link-local IPv4 addresses, or end in `.internal`, are refused.
 */
export const WebhookUrlPolicyTest = Layer.succeed(
  WebhookUrlPolicy,
  WebhookUrlPolicy.of({
    check: (raw) =>
      Effect.sync(() => {
        let url: URL;
        try {
          url = new URL(raw);
        } catch {
          return "Must be a URL";
        }
        if (url.hostname === "localhost")
          return url.protocol === "http:" || url.protocol === "https:" ? null : "Must be https";
        if (url.protocol !== "https:") return "Must be https";
        if (/^(10\.|127\.|169\.254\.|192\.168\.)/.test(url.hostname) || url.hostname.endsWith(".internal")) {
          return "Must not point at a private, loopback or link-local address";
        }
        return null;
      }),
  }),
);

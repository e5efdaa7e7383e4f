import { describe, expect, it } from "vitest";
import { checkUrlShape, checkWebhookUrl, isPublicAddress, parseAllowedHosts, resolveHost } from "./policy.ts";

const none = { allowedHosts: parseAllowedHosts("") };
const local = { allowedHosts: parseAllowedHosts("localhost,127.0.0.1") };

describe("webhook URL policy", () => {
  it("only public unicast addresses are public", () => {
    for (const address of [
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "127.0.0.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "fe80::1",
      "fc00::1",
      "::ffff:10.0.0.1",
      "::ffff:127.0.0.1",
      // IPv4-compatible (::127.0.0.1 as a URL spells it, deprecated) and the rest of ::/8, which ipaddr.js calls unicast.
      "::7f00:1",
      "::a00:1",
      "1::1",
      "not an address",
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) {
      expect(isPublicAddress(address), address).toBe(true);
    }
    // As the URL parser spells a bracketed IPv4-compatible address.
    expect(new URL("https://[::127.0.0.1]/").hostname).toBe("[::7f00:1]");
  });

  it("https only, plain http for allowed hosts; no credentials or fragments", () => {
    expect(checkUrlShape("https://hooks.example.com/x", none)).toBeNull();
    expect(checkUrlShape("http://hooks.example.com/x", none)).toMatch(/^Must be https/);
    expect(checkUrlShape("http://localhost:3000/x", local)).toBeNull();
    expect(checkUrlShape("ftp://localhost/x", local)).toMatch(/http or https/);
    expect(checkUrlShape("https://user:pw@hooks.example.com/", none)).toMatch(/credentials/);
    expect(checkUrlShape("https://hooks.example.com/#x", none)).toMatch(/fragment/);
    expect(checkUrlShape("/relative", none)).toMatch(/absolute/);
    expect(checkUrlShape(`https://h.example.com/${"a".repeat(2001)}`, none)).toMatch(/At most/);
  });

  it("private, loopback and link-local addresses are refused unless the host is allowed", async () => {
    expect(await checkWebhookUrl("https://127.0.0.1/x", none)).toMatch(/private, loopback or link-local/);
    expect(await checkWebhookUrl("https://[::1]/x", none)).toMatch(/private, loopback or link-local/);
    expect(await checkWebhookUrl("https://169.254.169.254/", none)).toMatch(/private, loopback or link-local/);
    expect(await checkWebhookUrl("https://[::ffff:192.168.0.1]/", none)).toMatch(/private, loopback or link-local/);
    // A name is resolved: localhost reaches the loopback address.
    expect(await checkWebhookUrl("https://localhost/x", none)).toMatch(/private, loopback or link-local/);
    expect(await checkWebhookUrl("http://127.0.0.1:9/x", local)).toBeNull();
    expect(await checkWebhookUrl("http://localhost:9/x", local)).toBeNull();
    expect(await resolveHost("no-such-host.invalid", none)).toEqual({ ok: false, message: "Host does not resolve" });
  });
});

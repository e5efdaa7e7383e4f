import { describe, expect, it } from "vitest";
import { makeTenant, uniqueEmail, useHarness } from "./harness.ts";
import { type RawAnswer, raw } from "./http.ts";

/**
 * The common tRPC call is answered without tRPC's fetch adapter (src/trpcHttp.ts). A `trpc-accept`
 * header sends the same request through the adapter instead: both must answer alike, byte for byte.
 */
const h = useHarness();
const UUID = "00000000-0000-4000-8000-000000000000";

interface Case {
  readonly name: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

const send = (c: Case, viaAdapter: boolean) =>
  raw(h.url, {
    method: c.method,
    path: c.path,
    headers: { ...c.headers, ...(viaAdapter ? { "trpc-accept": "application/json" } : {}) },
    ...(c.body === undefined ? {} : { body: c.body }),
  });

/** What an answer says, without what differs between any two answers (date, connection). */
const seen = (a: RawAnswer) => ({
  status: a.status,
  body: a.text,
  headers: Object.fromEntries(
    ["content-type", "content-length", "vary", "retry-after", "allow", "x-content-type-options"].map((n) => [
      n,
      a.headers[n],
    ]),
  ),
});

const query = (procedure: string, input: unknown, secret?: string): Case => ({
  name: `GET ${procedure}`,
  method: "GET",
  path: `/trpc/${procedure}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
  headers: secret ? { authorization: `Bearer ${secret}` } : {},
});

const mutation = (procedure: string, body: string, headers: Record<string, string> = {}): Case => ({
  name: `POST ${procedure} ${body.slice(0, 40)}`,
  method: "POST",
  path: `/trpc/${procedure}`,
  headers: { "content-type": "application/json", authorization: `Bearer ${h.rootKey}`, ...headers },
  body,
});

describe("tRPC over node:http", () => {
  it("answers as tRPC's fetch adapter does: results, every kind of error, headers", async () => {
    const tenant = await makeTenant(h);
    const key = tenant.key.secret;
    // Pages with rows in them: strings that need escaping, nulls and not, every target kind.
    const odd = await makeTenant(h, 'Odd "q" \\ é 😀\t</script>');
    await odd.client.invites.create.mutate({ email: uniqueEmail("plain") });
    await odd.client.invites.create.mutate({ email: uniqueEmail("mail"), firstName: "Zoë", locale: "de" });
    await odd.client.invites.create.mutate({ type: "website", websiteId: odd.website.id, email: uniqueEmail("site") });
    const firstPage = await odd.client.invites.list.query({ limit: 2 });
    expect(firstPage.items.map((i) => i.invitedBy.name)).toEqual([odd.key.name, odd.key.name]);
    expect(firstPage.nextCursor).not.toBeNull();
    const cases: Case[] = [
      query("invites.list", { limit: 2 }, odd.key.secret),
      query("invites.list", { limit: 1000 }, odd.key.secret),
      query("invites.list", { limit: 2, cursor: firstPage.nextCursor }, odd.key.secret),
      query("invites.list", { status: "pending", websiteId: odd.website.id }, odd.key.secret),
      query("invites.list", { limit: 2 }, key),
      query("invites.list", undefined, key),
      query("invites.list", { limit: 0 }, key),
      query("invites.list", { limit: 2, unknown: 1 }, key),
      query("invites.list", { limit: 2 }),
      query("invites.list", { limit: 2 }, "not-a-key"),
      query("invites.get", { inviteId: UUID }, key),
      { ...query("invites.list", { limit: 2 }, key), name: "input not JSON", path: "/trpc/invites.list?input=%7Bnope" },
      { ...query("invites.list", { limit: 2 }, key), name: "empty input", path: "/trpc/invites.list?input=" },
      mutation("organizations.create", JSON.stringify({ name: "Parity" })),
      mutation("organizations.create", "{nope"),
      mutation("organizations.create", ""),
      mutation("organizations.create", "null"),
      mutation("organizations.create", `\uFEFF${JSON.stringify({ name: "With a BOM" })}`),
      mutation("organizations.create", JSON.stringify({ name: "" })),
      mutation("invites.create", JSON.stringify({ organizationId: tenant.org.id, email: uniqueEmail("parity") }), {
        "content-type": "Application/JSON; charset=utf-8",
      }),
      mutation("invites.revoke", JSON.stringify({ inviteId: UUID })),
      mutation("invites.revoke", JSON.stringify({ inviteId: UUID }), { "idempotency-key": "" }),
    ];
    for (const c of cases) {
      const direct = await send(c, false);
      const adapter = await send(c, true);
      // A mutation that succeeded twice wrote two rows: their ids and times differ, nothing else may.
      // Queries write nothing: their answers must be the same bytes.
      const mask = (text: string) =>
        c.method === "GET"
          ? text
          : text.replace(/"[0-9a-f-]{36}"/g, '"…"').replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, '"…"');
      const direct_ = { ...seen(direct), body: mask(direct.text) };
      const adapter_ = { ...seen(adapter), body: mask(adapter.text) };
      expect(direct_, c.name).toEqual(adapter_);
      expect(direct.status, c.name).toBeGreaterThanOrEqual(200);
    }
  });

  it("leaves to tRPC what it does not answer itself: batches, other methods and content types, unknown paths", async () => {
    const tenant = await makeTenant(h);
    const auth = { authorization: `Bearer ${tenant.key.secret}` };
    const batch = await raw(h.url, {
      method: "GET",
      path: `/trpc/invites.list,invites.list?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { limit: 1 }, 1: {} }))}`,
      headers: auth,
    });
    expect(batch.status).toBe(200);
    expect(batch.json).toHaveLength(2);
    const wrongMethod = await raw(h.url, { method: "GET", path: "/trpc/organizations.create", headers: auth });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json.error.data.code).toBe("METHOD_NOT_SUPPORTED");
    const textBody = await raw(h.url, {
      method: "POST",
      path: "/trpc/organizations.create",
      headers: { ...auth, "content-type": "text/plain" },
      body: "{}",
    });
    expect(textBody.status).toBe(415);
    const unknown = await raw(h.url, { method: "GET", path: "/trpc/invites.nothing", headers: auth });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.data.code).toBe("NOT_FOUND");
  });
});

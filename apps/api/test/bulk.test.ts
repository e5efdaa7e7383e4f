import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { count, failure, makeTenant, snapshot, uniqueEmail, useHarness } from "./harness.ts";

let counting = false;
let statements = 0;
const h = useHarness({
  onQuery: () => {
    if (counting) statements++;
  },
});

const createSites = async (organizationId: string, n: number) => {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await h.root.websites.create.mutate({ organizationId, name: `Site ${i}` })).id);
  return ids;
};

describe("invites.createBulk — per-target results", () => {
  it("direct: added, already_member, not_found (missing and foreign) in input order, one userId", async () => {
    const mine = await makeTenant(h);
    const theirs = await makeTenant(h, "Other");
    const [a, b] = await createSites(mine.org.id, 2);
    const email = uniqueEmail();
    await mine.client.invites.create.mutate({ type: "website", websiteId: b as string, method: "direct", email });
    const missing = randomUUID();
    const res = await mine.client.invites.createBulk.mutate({
      method: "direct",
      email,
      role: "edit",
      websiteIds: [a as string, b as string, missing, theirs.website.id],
    });
    expect(res).toEqual({
      success: true,
      message: "Bulk invite processed",
      userId: expect.any(String),
      results: [
        { target: { type: "website", id: a }, status: "added" },
        { target: { type: "website", id: b }, status: "already_member", reason: "already_member" },
        { target: { type: "website", id: missing }, status: "not_found", reason: "website_not_found" },
        { target: { type: "website", id: theirs.website.id }, status: "not_found", reason: "website_not_found" },
      ],
    });
    expect(await count(h, "select * from memberships where user_id = $1", [res.userId])).toBe(2);
  });

  it("email: one invite per invited target and ONE delivery; no userId; already members reported", async () => {
    const { org } = await makeTenant(h);
    const sites = await createSites(org.id, 3);
    const email = uniqueEmail();
    await h.root.invites.create.mutate({ type: "website", websiteId: sites[0] as string, method: "direct", email });
    const res = await h.root.invites.createBulk.mutate({ method: "email", email, websiteIds: sites });
    expect(res).not.toHaveProperty("userId");
    expect(res.results.map((r) => r.status)).toEqual(["already_member", "invited", "invited"]);
    const inviteIds = res.results.flatMap((r) => (r.inviteId ? [r.inviteId] : []));
    expect(inviteIds).toHaveLength(2);
    const { rows } = await h.db.query("select distinct delivery_id from invites where id = any($1)", [inviteIds]);
    expect(rows).toHaveLength(1);
    expect(await count(h, "select * from deliveries where email = $1", [email])).toBe(1);
  });

  it("groups: invited and not_found with a global key; forbidden for an organization key", async () => {
    const mine = await makeTenant(h);
    const group = await h.root.groups.create.mutate({ name: "Portfolio" });
    const missing = randomUUID();
    const email = uniqueEmail();
    const res = await h.root.invites.createBulk.mutate({ method: "email", email, groupIds: [group.id, missing] });
    expect(res.results).toEqual([
      { target: { type: "group", id: group.id }, status: "invited", inviteId: expect.any(String) },
      { target: { type: "group", id: missing }, status: "not_found", reason: "group_not_found" },
    ]);
    const before = await snapshot(h);
    const refused = await mine.client.invites.createBulk.mutate({
      method: "direct",
      email,
      groupIds: [group.id, missing],
    });
    expect(refused.results.map((r) => [r.status, r.reason])).toEqual([
      ["forbidden", "group_requires_global_key"],
      ["forbidden", "group_requires_global_key"],
    ]);
    expect(refused).not.toHaveProperty("userId");
    expect(await snapshot(h)).toEqual(before);
  });

  it("a mix of every outcome in one request: each target on its own", async () => {
    const mine = await makeTenant(h);
    const theirs = await makeTenant(h, "Other");
    const [fresh, member] = await createSites(mine.org.id, 2);
    const email = uniqueEmail();
    await h.root.invites.create.mutate({ type: "website", websiteId: member as string, method: "direct", email });
    const missing = randomUUID();
    const res = await mine.client.invites.createBulk.mutate({
      method: "email",
      email,
      websiteIds: [missing, fresh as string, theirs.website.id, member as string],
    });
    expect(res.results.map((r) => r.status)).toEqual(["not_found", "invited", "not_found", "already_member"]);
  });

  it.each([
    [
      "both websiteIds and groupIds",
      () => ({ websiteIds: [randomUUID()], groupIds: [randomUUID()] }),
      ["websiteIds", "groupIds"],
    ],
    ["neither", () => ({}), ["websiteIds", "groupIds"]],
    ["an empty list", () => ({ websiteIds: [] }), ["websiteIds"]],
    ["51 websites", () => ({ websiteIds: Array.from({ length: 51 }, () => randomUUID()) }), ["websiteIds"]],
    [
      "duplicated ids",
      () => {
        const x = randomUUID();
        return { groupIds: [x, x] };
      },
      ["groupIds"],
    ],
    ["a non-UUID id", () => ({ websiteIds: ["nope"] }), ["websiteIds.0"]],
  ])("BAD_REQUEST for %s, naming the field, writing nothing", async (_label, build, fields) => {
    const before = await snapshot(h);
    const err = await failure(h.root.invites.createBulk.mutate({ email: uniqueEmail(), ...build() } as never));
    expect(err.code).toBe("BAD_REQUEST");
    for (const f of fields) expect(Object.keys(err.fieldErrors ?? {})).toContain(f);
    expect(await snapshot(h)).toEqual(before);
  });

  it("ids in capitals are the same ids: the target is found and a repeat in other case is a duplicate", async () => {
    const { org, website, client } = await makeTenant(h);
    const upper = website.id.toUpperCase();
    const bulk = await client.invites.createBulk.mutate({ email: uniqueEmail(), websiteIds: [upper] });
    expect(bulk.results).toEqual([{ target: { type: "website", id: website.id }, status: "added" }]);
    const byEmail = await client.invites.createBulk.mutate({
      method: "email",
      email: uniqueEmail(),
      websiteIds: [upper],
    });
    expect(byEmail.results[0]).toMatchObject({ target: { type: "website", id: website.id }, status: "invited" });
    const err = await failure(
      client.invites.createBulk.mutate({ email: uniqueEmail(), websiteIds: [website.id, upper] }),
    );
    expect(err).toMatchObject({ code: "BAD_REQUEST", fieldErrors: { websiteIds: ["Ids must be distinct"] } });
    const single = await client.invites.create.mutate({
      type: "website",
      websiteId: upper,
      method: "direct",
      email: uniqueEmail(),
    });
    expect(single).toMatchObject({ success: true });
    await client.invites.create.mutate({
      organizationId: org.id.toUpperCase(),
      method: "direct",
      email: uniqueEmail(),
    });
    const members = await client.members.list.query({ type: "website", id: upper });
    expect(members.items).toHaveLength(2);
  });

  it("50 websites are accepted", async () => {
    const { org } = await makeTenant(h);
    const sites = await createSites(org.id, 50);
    const res = await h.root.invites.createBulk.mutate({ method: "direct", email: uniqueEmail(), websiteIds: sites });
    expect(res.results.every((r) => r.status === "added")).toBe(true);
  });
});

describe("invites.createBulk — set-based", () => {
  it.each(["direct", "email"] as const)(
    "%s: the same number of SQL statements for 1 and for 50 targets",
    async (method) => {
      const { org } = await makeTenant(h);
      const sites = await createSites(org.id, 51);
      const measure = async (websiteIds: string[]) => {
        statements = 0;
        counting = true;
        const res = await h.root.invites.createBulk.mutate({ method, email: uniqueEmail(), websiteIds });
        counting = false;
        expect(res.results.every((r) => r.status === (method === "direct" ? "added" : "invited"))).toBe(true);
        return statements;
      };
      const one = await measure(sites.slice(0, 1));
      const fifty = await measure(sites.slice(1));
      expect(one).toBeGreaterThan(0);
      expect(fifty).toBe(one);
    },
  );
});

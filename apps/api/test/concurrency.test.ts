import { describe, expect, it } from "vitest";
import { count, makeTenant, uniqueEmail, useHarness } from "./harness.ts";

const h = useHarness();

const call = (path: string, key: string, input: unknown) =>
  fetch(`${h.url}/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(input),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, any> }));

describe("concurrent invites", () => {
  it("100 identical direct invites at once: one user, one membership, the rest already_member", async () => {
    const { website } = await makeTenant(h);
    const email = uniqueEmail("race");
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        call("invites.create", h.rootKey, { type: "website", websiteId: website.id, method: "direct", email }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(99);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.error.data.reason === "already_member")).toBe(
      true,
    );
    expect(await count(h, "select * from users where email = $1", [email])).toBe(1);
    expect(await count(h, "select * from memberships where target_id = $1", [website.id])).toBe(1);
  });

  it("100 email invites of one email to one target at once leave exactly one pending invite", async () => {
    const { org } = await makeTenant(h);
    const email = uniqueEmail("race");
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        call("invites.create", h.rootKey, { organizationId: org.id, method: "email", email }),
      ),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.body.result.data.inviteId)).size).toBe(1);
    expect(await count(h, "select * from invites where email = $1 and status = 'pending'", [email])).toBe(1);
    expect(await count(h, "select * from invites where email = $1", [email])).toBe(1);
  });
});

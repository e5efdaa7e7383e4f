import { randomUUID } from "node:crypto";
import { type InviteFilter, type InviteRecord, InviteRepository, type PageRequest, Transactor } from "@admit/domain";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { JsonDate, readTimestamp, utcIso } from "../jsonDate.ts";
import { layer } from "../layer.ts";
import { initOrm, type Orm } from "../orm.ts";

let orm: Orm;
beforeAll(async () => {
  orm = await initOrm({ databaseUrl: inject("databaseUrl") });
});
afterAll(() => orm.close());

const list = (filter: Omit<InviteFilter, "now"> & { now?: Date }, page: PageRequest) =>
  Effect.runPromise(
    Effect.gen(function* () {
      return yield* (yield* InviteRepository).list({ now: new Date(), ...filter }, page);
    }).pipe(Effect.provide(layer(orm, { tokenKey: "k".repeat(32) }))),
  );

const allPages = async (filter: Omit<InviteFilter, "now">, limit: number) => {
  const items: InviteRecord[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page = await list(filter, { limit, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
    if (cursor === null) return items;
  }
  throw new Error("no last page");
};

/**
 * One organization with 13 invites: to the organization, a website and a group, in every state, some
 * delivered or bounced, one expired, one created in the same millisecond as another.
 */
const seed = async () => {
  const organizationId = randomUUID();
  const websiteId = randomUUID();
  const groupId = randomUUID();
  const em = orm.em.fork();
  await em.execute("insert into organizations (id, name) values (?, 'List test')", [organizationId]);
  const base = Date.parse("2026-03-01T10:00:00.000Z");
  const rows = Array.from({ length: 13 }, (_, n) => ({
    id: randomUUID(),
    deliveryId: randomUUID(),
    email: `list-${n}-${organizationId.slice(0, 8)}@example.com`,
    target: n % 3 === 0 ? ["organization", organizationId] : n % 3 === 1 ? ["website", websiteId] : ["group", groupId],
    status: n === 4 ? "accepted" : n === 5 ? "revoked" : n === 6 ? "declined" : "pending",
    // Two invites share a creation time: the id breaks the tie.
    createdAt: new Date(base + (n === 8 ? 7 : n) * 60_000 + 123),
    // A fraction of a millisecond below, as PostgreSQL keeps microseconds; invite 9 expired an hour ago.
    expiresAt: n === 9 ? new Date(Date.now() - 3_600_000) : `2030-01-0${1 + (n % 9)} 08:00:00.123456+00`,
    deliveryStatus: n === 2 ? "delivered" : n === 3 ? "bounced" : "sent",
  }));
  for (const r of rows) {
    await em.execute(
      `insert into deliveries (id, email, token_hash, status, inviter_name, bounce_type, bounce_description, bounce_permanent)
       values (?, ?, decode(md5(?), 'hex'), ?, 'Bob', ?, ?, ?)`,
      [
        r.deliveryId,
        r.email,
        r.deliveryId,
        r.deliveryStatus,
        r.deliveryStatus === "bounced" ? "HardBounce" : null,
        r.deliveryStatus === "bounced" ? "No such mailbox" : null,
        r.deliveryStatus === "bounced" ? true : null,
      ],
    );
    await em.execute(
      `insert into invites (id, email, target_type, target_id, organization_id, role, status, delivery_id,
                            inviter_kind, inviter_id, expires_at, created_at, redirect_url, locale)
       values (?, ?, ?, ?, ?, 'read', ?, ?, 'api_key', ?, ?::timestamptz, ?::timestamptz, ?, ?)`,
      [
        r.id,
        r.email,
        r.target[0],
        r.target[1],
        organizationId,
        r.status,
        r.deliveryId,
        organizationId,
        r.expiresAt instanceof Date ? r.expiresAt.toISOString() : r.expiresAt,
        r.createdAt.toISOString(),
        r.target[0] === "website" ? "https://app.example/x" : null,
        r.target[0] === "group" ? "fr" : null,
      ],
    );
  }
  return { organizationId, websiteId, groupId, rows };
};

describe("InviteRepositoryPostgres.list", () => {
  it("reads every field, newest first (ties by id), and pages through with cursors", async () => {
    const { organizationId, rows } = await seed();
    const expected = [...rows].sort(
      (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    );
    for (const limit of [1, 4, 13, 1000]) {
      const items = await allPages({ organizationId }, limit);
      expect(items.map((i) => i.id)).toEqual(expected.map((r) => r.id));
    }
    const [first] = await allPages({ organizationId, email: rows[3]?.email }, 10);
    expect(first).toEqual({
      id: rows[3]?.id,
      email: rows[3]?.email,
      target: { type: "organization", id: organizationId, organizationId },
      role: "read",
      status: "pending",
      expiresAt: new Date("2030-01-04T08:00:00.123Z"),
      createdAt: new Date("2026-03-01T10:03:00.123Z"),
      inviter: { kind: "api_key", id: organizationId, name: "Bob" },
      delivery: {
        id: rows[3]?.deliveryId,
        status: "bounced",
        lastError: null,
        bounce: { type: "HardBounce", description: "No such mailbox", permanent: true },
      },
      redirectUrl: null,
      locale: null,
    });
  });

  it("filters by target, email, status (pending and expired by the given time) and delivery status", async () => {
    const { organizationId, websiteId, groupId, rows } = await seed();
    const ids = async (filter: Omit<InviteFilter, "now">) =>
      new Set((await allPages({ organizationId, ...filter }, 5)).map((i) => i.id));
    const where = (p: (r: (typeof rows)[number], n: number) => boolean) => new Set(rows.filter(p).map((r) => r.id));
    expect(await ids({ websiteId })).toEqual(where((r) => r.target[0] === "website"));
    expect(await ids({ groupId })).toEqual(where((r) => r.target[0] === "group"));
    expect(await ids({ email: rows[7]?.email })).toEqual(where((_, n) => n === 7));
    expect(await ids({ status: "pending" })).toEqual(where((r, n) => r.status === "pending" && n !== 9));
    expect(await ids({ status: "expired" })).toEqual(where((_, n) => n === 9));
    expect(await ids({ status: "accepted" })).toEqual(where((r) => r.status === "accepted"));
    expect(await ids({ deliveryStatus: "delivered" })).toEqual(where((r) => r.deliveryStatus === "delivered"));
    expect(await ids({ websiteId, status: "pending", deliveryStatus: "sent" })).toEqual(
      where((r, n) => r.target[0] === "website" && r.status === "pending" && n !== 9 && r.deliveryStatus === "sent"),
    );
    expect(await ids({ organizationId: randomUUID() })).toEqual(new Set());
  });

  it("reads the same page in a transaction as outside one", async () => {
    const { organizationId } = await seed();
    const now = new Date();
    const read = (inTransaction: boolean) =>
      Effect.runPromise(
        Effect.gen(function* () {
          const page = (yield* InviteRepository).list({ now, organizationId }, { limit: 5, cursor: null });
          return inTransaction ? yield* (yield* Transactor).withTransaction(page) : yield* page;
        }).pipe(Effect.provide(layer(orm, { tokenKey: "k".repeat(32) }))),
      );
    const outside = await read(false);
    expect(outside.items).toHaveLength(5);
    expect(JSON.stringify(await read(true))).toBe(JSON.stringify(outside));
  });

  it("answers dates whose JSON is what toISOString writes", async () => {
    const { organizationId } = await seed();
    const items = await allPages({ organizationId }, 1000);
    for (const item of items) {
      for (const date of [item.createdAt, item.expiresAt]) {
        expect(date).toBeInstanceOf(Date);
        expect(JSON.stringify(date)).toBe(JSON.stringify(date.toISOString()));
      }
    }
  });
});

describe("utcIso", () => {
  it("writes PostgreSQL's UTC text as toISOString does: milliseconds cut, not rounded", () => {
    for (const [text, iso] of [
      ["2026-12-02 08:23:55+00", "2026-12-02T08:23:55.000Z"],
      ["2026-12-02 08:23:55.1+00", "2026-12-02T08:23:55.100Z"],
      ["2026-12-02 08:23:55.12+00", "2026-12-02T08:23:55.120Z"],
      ["2026-12-02 08:23:55.123+00", "2026-12-02T08:23:55.123Z"],
      ["2026-12-02 08:23:55.1239+00", "2026-12-02T08:23:55.123Z"],
      ["2026-12-02 08:23:55.999999+00", "2026-12-02T08:23:55.999Z"],
      ["9999-12-31 23:59:59.999+00", "9999-12-31T23:59:59.999Z"],
      ["0001-01-01 00:00:00+00", "0001-01-01T00:00:00.000Z"],
      ["0099-03-01 00:00:00.001+00", "0099-03-01T00:00:00.001Z"],
      ["2024-02-29 23:59:59.99+00", "2024-02-29T23:59:59.990Z"],
      ["1969-12-31 23:59:59.999+00", "1969-12-31T23:59:59.999Z"],
    ] as const) {
      expect(utcIso(text)).toBe(iso);
      expect(readTimestamp(text).toISOString()).toBe(iso);
      expect(JSON.stringify(readTimestamp(text))).toBe(JSON.stringify(iso));
    }
  });

  it("leaves any other shape to Date: another offset, BC, years past 9999", () => {
    for (const text of [
      "2026-12-02 08:23:55.123+02",
      "2026-12-02 08:23:55.123+05:30",
      "2026-12-02 08:23:55-00",
      "0044-03-15 12:00:00+00 BC",
      "10000-01-01 00:00:00+00",
      "2026-12-02T08:23:55.123Z",
      "infinity",
      "2026-12-02 08:23:5x+00",
      "2026-12-02 08:23:55.+00",
      "2026-12-02 08:23:55.12a+00",
      "2026-13-02 08:23:55+00",
    ]) {
      expect(utcIso(text)).toBe(null);
    }
    expect(readTimestamp("2026-12-02 10:23:55.123+02").toISOString()).toBe("2026-12-02T08:23:55.123Z");
    expect(readTimestamp("2026-12-02 08:23:55.5+00")).toBeInstanceOf(JsonDate);
  });

  it("a date changed after it was read serializes its new value", () => {
    const date = readTimestamp("2026-12-02 08:23:55.5+00");
    date.setUTCFullYear(2027);
    expect(JSON.stringify(date)).toBe('"2027-12-02T08:23:55.500Z"');
  });
});

import { Effect } from "effect";
import { expect } from "vitest";
import type { Role } from "../../access/Role.ts";
import { type LinkInviteRecord, LinkInviteRepository } from "../../links/LinkInviteRepository.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { TokenGenerator } from "../../shared/TokenGenerator.ts";
import { TenancyRepository } from "../../tenancy/TenancyRepository.ts";
import { allPages, contract, inTurn } from "./harness.ts";

const organization = Effect.gen(function* () {
  return yield* (yield* TenancyRepository).createOrganization({ id: yield* (yield* IdGenerator).next, name: "acme" });
});

/** A link of `organizationId` with a fresh code; answers the record and the code's hash. */
const link = (
  organizationId: string,
  options: { readonly role?: Role; readonly maxUses?: number | null; readonly expiresAt?: Date | null } = {},
) =>
  Effect.gen(function* () {
    const code = yield* (yield* TokenGenerator).next("lnk");
    const record = yield* (yield* LinkInviteRepository).create({
      id: yield* (yield* IdGenerator).next,
      organizationId,
      role: options.role ?? "read",
      sso: false,
      expiresAt: options.expiresAt ?? null,
      maxUses: options.maxUses ?? null,
      allowedEmailDomains: [],
      createdBy: { kind: "root", id: null, name: "Admit" },
      code: code.token,
      codeHash: code.hash,
    });
    return { record, hash: code.hash };
  });

const ids = (records: ReadonlyArray<LinkInviteRecord>) => records.map((r) => r.id);

/** Link invites: one organization's reusable join links, by id or by code; uses never pass the limit. */
export const linkInviteRepositoryContract = contract("LinkInviteRepository", (it) => {
  it("creates a link with no uses, and reads it back by id and by code within its organization only", function* () {
    const links = yield* LinkInviteRepository;
    const idGenerator = yield* IdGenerator;
    const org = yield* organization;
    const other = yield* organization;
    const code = yield* (yield* TokenGenerator).next("lnk");
    const fields = {
      id: yield* idGenerator.next,
      organizationId: org.id,
      role: "edit" as const,
      sso: true,
      expiresAt: new Date(Date.UTC(2031, 5, 1, 8, 30, 0, 250)),
      maxUses: 5,
      allowedEmailDomains: ["example.com", "example.org"],
      createdBy: { kind: "user" as const, id: yield* idGenerator.next, name: "Ann Lee" },
    };
    const created = yield* links.create({ ...fields, code: code.token, codeHash: code.hash });
    expect(created).toEqual({
      ...fields,
      uses: 0,
      disabled: false,
      code: code.token,
      createdAt: expect.any(Date),
    });
    expect(yield* links.get(org.id, created.id)).toEqual(created);
    expect(yield* links.get(org.id, created.id, { lock: true })).toEqual(created);
    expect(yield* links.findByCodeHash(org.id, code.hash)).toEqual(created);
    expect(yield* links.lockByCodeHash(org.id, code.hash)).toEqual(created);

    expect(yield* links.get(other.id, created.id)).toBeNull();
    expect(yield* links.findByCodeHash(other.id, code.hash)).toBeNull();
    expect(yield* links.lockByCodeHash(other.id, code.hash)).toBeNull();
    expect(yield* links.get(org.id, yield* idGenerator.next)).toBeNull();
    const unknown = (yield* (yield* TokenGenerator).next("lnk")).hash;
    expect(yield* links.findByCodeHash(org.id, unknown)).toBeNull();
    expect(yield* links.lockByCodeHash(org.id, unknown)).toBeNull();
  });

  it("lists an organization's live links newest first, page by page; a cursor outlives its row", function* () {
    const links = yield* LinkInviteRepository;
    const org = yield* organization;
    const other = yield* organization;
    const created = yield* inTurn(["a", "b", "c", "d"], () => Effect.map(link(org.id), (l) => l.record));
    yield* link(other.id);
    const [a, b, c, d] = created.map((r) => r.id);
    const pages = yield* allPages((page) => links.list(org.id, page), 2);
    expect(pages.map(ids)).toEqual([
      [d, c],
      [b, a],
    ]);
    const whole = yield* links.list(org.id, { cursor: null, limit: 4 });
    expect(whole.items).toEqual([...created].reverse());
    expect(whole.nextCursor).toBeNull();

    const first = yield* links.list(org.id, { cursor: null, limit: 1 });
    expect(ids(first.items)).toEqual([d]);
    expect(yield* links.revoke(org.id, d as string)).toBe(true);
    expect(yield* links.revoke(org.id, b as string)).toBe(true);
    const rest = yield* links.list(org.id, { cursor: first.nextCursor, limit: 1 });
    expect(ids(rest.items)).toEqual([c]);
    expect(ids((yield* links.list(org.id, { cursor: rest.nextCursor, limit: 1 })).items)).toEqual([a]);
    expect(ids((yield* links.list(org.id, { cursor: null, limit: 10 })).items)).toEqual([c, a]);
  });

  it("updates only the fields given, clears expiry and use limit with null, within its organization", function* () {
    const links = yield* LinkInviteRepository;
    const org = yield* organization;
    const other = yield* organization;
    const { record } = yield* link(org.id, { maxUses: 3, expiresAt: new Date(Date.UTC(2031, 0, 1)) });
    const renamed = yield* links.update(org.id, record.id, { role: "admin" });
    expect(renamed).toEqual({ ...record, role: "admin" });
    const cleared = yield* links.update(org.id, record.id, { expiresAt: null, maxUses: null, disabled: true });
    expect(cleared).toEqual({ ...record, role: "admin", expiresAt: null, maxUses: null, disabled: true });
    expect(yield* links.update(org.id, record.id, {})).toEqual(cleared);
    expect(yield* links.get(org.id, record.id)).toEqual(cleared);
    expect(yield* links.update(other.id, record.id, { role: "read" })).toBeNull();
    expect(yield* links.update(org.id, yield* (yield* IdGenerator).next, { role: "read" })).toBeNull();
    expect((yield* links.get(org.id, record.id))?.role).toBe("admin");
  });

  it("counts uses up to the limit and never past it, nor lowers the limit below them", function* () {
    const links = yield* LinkInviteRepository;
    const org = yield* organization;
    const { record } = yield* link(org.id, { maxUses: 2 });
    yield* links.countUse(record.id);
    yield* links.countUse(record.id);
    expect((yield* links.get(org.id, record.id))?.uses).toBe(2);
    expect((yield* Effect.flip(links.countUse(record.id)))._tag).toBe("RepositoryError");
    expect((yield* Effect.flip(links.update(org.id, record.id, { maxUses: 1 })))._tag).toBe("RepositoryError");
    expect((yield* Effect.flip(links.update(org.id, record.id, { maxUses: 0 })))._tag).toBe("RepositoryError");
    expect(yield* links.get(org.id, record.id)).toEqual({ ...record, uses: 2 });
    expect((yield* links.update(org.id, record.id, { maxUses: null }))?.maxUses).toBeNull();
    yield* links.countUse(record.id);
    expect((yield* links.get(org.id, record.id))?.uses).toBe(3);
    yield* links.countUse(yield* (yield* IdGenerator).next);
  });

  it("revokes once, within its organization; a revoked link is gone for every lookup", function* () {
    const links = yield* LinkInviteRepository;
    const org = yield* organization;
    const other = yield* organization;
    const { record, hash } = yield* link(org.id);
    expect(yield* links.revoke(other.id, record.id)).toBe(false);
    expect(yield* links.get(org.id, record.id)).toEqual(record);
    expect(yield* links.revoke(org.id, record.id)).toBe(true);
    expect(yield* links.revoke(org.id, record.id)).toBe(false);
    expect(yield* links.get(org.id, record.id)).toBeNull();
    expect(yield* links.findByCodeHash(org.id, hash)).toBeNull();
    expect(yield* links.lockByCodeHash(org.id, hash)).toBeNull();
    expect(yield* links.update(org.id, record.id, { disabled: true })).toBeNull();
    expect((yield* links.list(org.id, { cursor: null, limit: 10 })).items).toEqual([]);
  });

  it("refuses a link of a missing organization, an id or a code already used, and a limit below one", function* () {
    const links = yield* LinkInviteRepository;
    const org = yield* organization;
    const { record, hash } = yield* link(org.id);
    const idGenerator = yield* IdGenerator;
    const fresh = yield* (yield* TokenGenerator).next("lnk");
    const base = {
      role: "read" as const,
      sso: false,
      expiresAt: null,
      maxUses: null,
      allowedEmailDomains: [],
      createdBy: { kind: "root" as const, id: null, name: "Admit" },
      code: fresh.token,
    };
    const missing = yield* Effect.flip(
      links.create({
        ...base,
        id: yield* idGenerator.next,
        organizationId: yield* idGenerator.next,
        codeHash: fresh.hash,
      }),
    );
    expect(missing._tag).toBe("RepositoryError");
    const taken = yield* Effect.flip(
      links.create({ ...base, id: yield* idGenerator.next, organizationId: org.id, codeHash: hash }),
    );
    expect(taken._tag).toBe("RepositoryError");
    const sameId = yield* Effect.flip(
      links.create({ ...base, id: record.id, organizationId: org.id, codeHash: fresh.hash }),
    );
    expect(sameId._tag).toBe("RepositoryError");
    const zero = yield* Effect.flip(
      links.create({
        ...base,
        id: yield* idGenerator.next,
        organizationId: org.id,
        codeHash: fresh.hash,
        maxUses: 0,
      }),
    );
    expect(zero._tag).toBe("RepositoryError");
    expect((yield* links.list(org.id, { cursor: null, limit: 10 })).items).toEqual([record]);
    expect(yield* links.findByCodeHash(org.id, fresh.hash)).toBeNull();
  });
});

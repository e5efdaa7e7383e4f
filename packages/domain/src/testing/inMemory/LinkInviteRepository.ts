import { Effect, Layer } from "effect";
import { LinkInviteRepository } from "../../links/LinkInviteRepository.ts";
import {
  checkedLink,
  type LinkInviteRow,
  linkRecord,
  paginateNewestFirst,
  read,
  Store,
  type StoreState,
  sealCode,
  write,
} from "./Store.ts";

export const LinkInviteRepositoryTest = Layer.effect(
  LinkInviteRepository,
  Effect.gen(function* () {
    const store = yield* Store;
    const r = read(store);
    const w = write(store);
    const live = (s: StoreState, organizationId: string, id: string) =>
      s.linkInvites.find((l) => l.id === id && l.organizationId === organizationId && l.revokedAt === null);
    const byCode = (s: StoreState, organizationId: string, codeHash: string) => {
      const row = s.linkInvites.find(
        (l) => l.codeHash === codeHash && l.organizationId === organizationId && l.revokedAt === null,
      );
      return row ? linkRecord(row) : null;
    };
    const replace = (s: StoreState, row: LinkInviteRow): StoreState => ({
      ...s,
      linkInvites: s.linkInvites.map((l) => (l.id === row.id ? row : l)),
    });
    return LinkInviteRepository.of({
      create: (link) =>
        w("LinkInviteRepository.create", (s, at) => {
          if (!s.organizations.some((o) => o.id === link.organizationId)) {
            throw new Error(`link_invites.organization_id: no organization ${link.organizationId}`);
          }
          if (s.linkInvites.some((l) => l.id === link.id)) throw new Error(`link_invites.id: duplicate ${link.id}`);
          if (s.linkInvites.some((l) => l.codeHash === link.codeHash)) {
            throw new Error("link_invites.code_hash: duplicate");
          }
          const { code, ...fields } = link;
          const row = checkedLink({
            ...fields,
            codeSealed: sealCode(code),
            allowedEmailDomains: [...link.allowedEmailDomains],
            uses: 0,
            disabled: false,
            createdAt: at,
            updatedAt: at,
            revokedAt: null,
          });
          return [linkRecord(row), { ...s, linkInvites: [...s.linkInvites, row] }];
        }),
      // Row locks are not modelled: transactions already run one at a time.
      get: (organizationId, id) =>
        r("LinkInviteRepository.get", (s) => {
          const row = live(s, organizationId, id);
          return row ? linkRecord(row) : null;
        }),
      lockByCodeHash: (organizationId, codeHash) =>
        r("LinkInviteRepository.lockByCodeHash", (s) => byCode(s, organizationId, codeHash)),
      findByCodeHash: (organizationId, codeHash) =>
        r("LinkInviteRepository.findByCodeHash", (s) => byCode(s, organizationId, codeHash)),
      list: (organizationId, page) =>
        r("LinkInviteRepository.list", (s) => {
          const p = paginateNewestFirst(
            s.linkInvites.filter((l) => l.organizationId === organizationId && l.revokedAt === null),
            page,
          );
          return { items: p.items.map(linkRecord), nextCursor: p.nextCursor };
        }),
      update: (organizationId, id, changes) =>
        w("LinkInviteRepository.update", (s, at) => {
          const row = live(s, organizationId, id);
          if (!row) return [null, s];
          const updated = checkedLink({
            ...row,
            ...(changes.role !== undefined ? { role: changes.role } : {}),
            ...(changes.expiresAt !== undefined ? { expiresAt: changes.expiresAt } : {}),
            ...(changes.maxUses !== undefined ? { maxUses: changes.maxUses } : {}),
            ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
            updatedAt: at,
          });
          return [linkRecord(updated), replace(s, updated)];
        }),
      countUse: (id) =>
        w("LinkInviteRepository.countUse", (s, at) => {
          const row = s.linkInvites.find((l) => l.id === id);
          if (!row) return [undefined, s];
          return [undefined, replace(s, checkedLink({ ...row, uses: row.uses + 1, updatedAt: at }))];
        }),
      revoke: (organizationId, id) =>
        w("LinkInviteRepository.revoke", (s, at) => {
          const row = live(s, organizationId, id);
          if (!row) return [false, s];
          return [true, replace(s, { ...row, revokedAt: at, updatedAt: at })];
        }),
    });
  }),
);

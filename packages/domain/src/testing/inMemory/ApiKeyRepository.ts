import { ApiKeyRepository } from "../../tenancy/ApiKeyRepository.ts";
import { type ApiKeyRow, paginateNewestFirst, publicKey, storeAdapter } from "./Store.ts";

export const ApiKeyRepositoryTest = storeAdapter(ApiKeyRepository, ({ r, w }) =>
  ApiKeyRepository.of({
    create: (key) =>
      w("ApiKeyRepository.create", (s, at) => {
        if (key.kind === "organization" && !s.organizations.some((o) => o.id === key.organizationId)) {
          throw new Error(`api_keys.organization_id: no organization ${key.organizationId}`);
        }
        if (s.apiKeys.some((k) => k.secretHash === key.secretHash)) throw new Error("api_keys.secret_hash: duplicate");
        const row: ApiKeyRow = { ...key, createdAt: at, revokedAt: null };
        return [publicKey(row), { ...s, apiKeys: [...s.apiKeys, row] }];
      }),
    findActiveByHash: (secretHash) =>
      r("ApiKeyRepository.findActiveByHash", (s) => {
        const key = s.apiKeys.find((k) => k.secretHash === secretHash && k.revokedAt === null);
        return key ? publicKey(key) : null;
      }),
    get: (id) =>
      r("ApiKeyRepository.get", (s) => {
        const key = s.apiKeys.find((k) => k.id === id);
        return key ? publicKey(key) : null;
      }),
    list: (organizationId, page) =>
      r("ApiKeyRepository.list", (s) =>
        paginateNewestFirst(
          s.apiKeys.filter((k) => organizationId === null || k.organizationId === organizationId).map(publicKey),
          page,
        ),
      ),
    revoke: (id) =>
      w("ApiKeyRepository.revoke", (s, at) => {
        const key = s.apiKeys.find((k) => k.id === id);
        if (!key) return [null, s];
        // Idempotent: revoking again keeps the first revocation time.
        const revoked: ApiKeyRow = { ...key, revokedAt: key.revokedAt ?? at };
        return [publicKey(revoked), { ...s, apiKeys: s.apiKeys.map((k) => (k.id === id ? revoked : k)) }];
      }),
  }),
);

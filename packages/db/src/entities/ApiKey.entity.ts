import type { ApiKeyKind } from "@admit/domain";
import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { credentialNotifyTrigger, keysetIndex, nameLengthCheck, oneOf } from "./columns.ts";
import { belongsToOrganization } from "./Organization.entity.ts";

/** Only the SHA-256 of a secret is stored; the secret itself is shown once, at creation. */
export const ApiKey = defineEntity({
  name: "ApiKey",
  tableName: "api_keys",
  properties: {
    id: p.uuid().primary(),
    kind: p.text().$type<ApiKeyKind>(),
    organization: belongsToOrganization("api_keys").nullable(),
    name: p.text(),
    secretHash: p.blob().hidden().unique("api_keys_secret_hash_key"),
    createdAt: p.datetime(3).defaultRaw("now()"),
    revokedAt: p.datetime().nullable(),
  },
  checks: [
    oneOf("api_keys_kind_check", "kind", ["global", "organization"]),
    nameLengthCheck("api_keys"),
    { name: "api_keys_check", expression: "(kind = 'global') = (organization_id is null)" },
  ],
  indexes: [keysetIndex("api_keys", "api_keys_keyset", ["organization_id"])],
  triggers: [credentialNotifyTrigger("api_keys", "k", "secret_hash")],
});
export type ApiKey = InferEntity<typeof ApiKey>;

import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { credentialNotifyTrigger } from "./columns.ts";
import { User } from "./User.entity.ts";

/** Only the SHA-256 of a user token is stored. */
export const UserToken = defineEntity({
  name: "UserToken",
  tableName: "user_tokens",
  properties: {
    id: p.uuid().primary(),
    user: p.manyToOne(User).fieldName("user_id").deleteRule("cascade").foreignKeyName("user_tokens_user_id_fkey"),
    tokenHash: p.blob().hidden().unique("user_tokens_token_hash_key"),
    expiresAt: p.datetime(3),
    createdAt: p.datetime(3).defaultRaw("now()"),
  },
  triggers: [credentialNotifyTrigger("user_tokens", "t", "token_hash")],
});
export type UserToken = InferEntity<typeof UserToken>;

import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

export const User = defineEntity({
  name: "User",
  tableName: "users",
  properties: {
    id: p.uuid().primary(),
    email: p.text().unique("users_email_key"),
    firstName: p.text().nullable(),
    lastName: p.text().nullable(),
    emailVerified: p.boolean().default(false),
    createdAt: p.datetime().defaultRaw("now()"),
  },
});
export type User = InferEntity<typeof User>;

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
    createdAt: p.datetime(3).defaultRaw("now()"),
  },
  // Emails are stored normalized (trimmed, lower case); the check keeps every writer honest.
  checks: [
    {
      name: "users_email_check",
      expression: "(email = lower(btrim(email))) and ((length(email) >= 3) and (length(email) <= 254))",
    },
  ],
});
export type User = InferEntity<typeof User>;

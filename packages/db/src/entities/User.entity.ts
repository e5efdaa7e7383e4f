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
  // A user's email or name is part of what credential caches hold for its tokens: they drop them
  // when such a change commits (an upsert that changes nothing notifies nothing).
  triggers: [
    {
      name: "users_notify",
      timing: "after",
      events: ["update", "delete"],
      body:
        "if tg_op = 'DELETE' or old.email is distinct from new.email or old.first_name is distinct from new.first_name" +
        " or old.last_name is distinct from new.last_name then perform pg_notify('admit_credentials', 'u:' || old.id::text);" +
        " end if; return null;",
    },
  ],
});
export type User = InferEntity<typeof User>;

import { z } from "zod";
import { email, id, personName, role, targetType } from "../../schemas.ts";

export const createInviteInput = z.strictObject({
  type: targetType.default("organization"),
  method: z.enum(["direct", "email"], { error: "Must be direct or email" }).default("email"),
  email,
  role: role.default("read"),
  organizationId: id.optional(),
  websiteId: id.optional(),
  groupId: id.optional(),
  firstName: personName.optional(),
  lastName: personName.optional(),
});

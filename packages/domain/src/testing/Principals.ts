import type { Principal } from "../access/Principal.ts";

/** Principals as the API's authentication would build them, for tests. */
export const rootKey: Principal = { kind: "global", apiKeyId: null, name: "Admit" };

export const globalKey = (apiKeyId = "00000000-0000-4000-a000-00000000000g"): Principal => ({
  kind: "global",
  apiKeyId,
  name: "Global test key",
});

export const organizationKey = (
  organizationId: string,
  apiKeyId = "00000000-0000-4000-a000-00000000000o",
): Principal => ({
  kind: "organization",
  apiKeyId,
  organizationId,
  name: "Organization test key",
});

export const userPrincipal = (user: { readonly id: string; readonly email: string }): Principal => ({
  kind: "user",
  userId: user.id,
  email: user.email,
  name: user.email,
});

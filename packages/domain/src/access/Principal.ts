/** Who is calling. The root key from configuration is a global key with no row behind it. */
export type Principal =
  | { readonly kind: "global"; readonly apiKeyId: string | null; readonly name: string }
  | { readonly kind: "organization"; readonly apiKeyId: string; readonly organizationId: string; readonly name: string }
  | { readonly kind: "user"; readonly userId: string; readonly email: string; readonly name: string };

export type InviterKind = "root" | "api_key" | "user";

export interface Inviter {
  readonly kind: InviterKind;
  readonly id: string | null;
  readonly name: string;
}

export const inviterOf = (p: Principal): Inviter => {
  switch (p.kind) {
    case "global":
      return { kind: p.apiKeyId === null ? "root" : "api_key", id: p.apiKeyId, name: p.name };
    case "organization":
      return { kind: "api_key", id: p.apiKeyId, name: p.name };
    case "user":
      return { kind: "user", id: p.userId, name: p.name };
  }
};

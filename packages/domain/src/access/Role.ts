/** Roles, highest first. */
export const ROLES = ["admin", "create", "edit", "review", "comment", "read"] as const;
export type Role = (typeof ROLES)[number];

const rank = (role: Role): number => ROLES.length - ROLES.indexOf(role);

export const isRole = (value: unknown): value is Role =>
  typeof value === "string" && (ROLES as readonly string[]).includes(value);

/** True when `role` grants at least what `required` grants. */
export const roleAtLeast = (role: Role, required: Role): boolean => rank(role) >= rank(required);

export const highestRole = (roles: ReadonlyArray<Role>): Role | null =>
  roles.reduce<Role | null>((best, r) => (best === null || rank(r) > rank(best) ? r : best), null);

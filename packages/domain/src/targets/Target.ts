import type { NotFoundReason } from "../errors/Reasons.ts";

export const TARGET_TYPES = ["organization", "website", "group"] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export interface Target {
  readonly type: TargetType;
  readonly id: string;
}

/** What the database knows of a target: the organization that owns it (none for a group). */
export interface ResolvedTarget extends Target {
  readonly organizationId: string | null;
}

export const targetKey = (t: Target): string => `${t.type}:${t.id}`;

export const notFoundReason = (type: TargetType): NotFoundReason => `${type}_not_found`;

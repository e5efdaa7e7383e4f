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

/**
 * What the rules need to know about a kind of target. Adding a kind means adding its literal to
 * `TARGET_TYPES` and a row here (and in the database's table of targets, `packages/db`); the
 * type checker points at both.
 */
export interface TargetDescriptor {
  /** How people call it, in emails and pages. */
  readonly label: string;
  /** The input field naming one of these (`websiteId`), and a list of them (`websiteIds`). */
  readonly idField: string;
  readonly idsField: string;
  /** Its organization: itself, the one that owns it, or none (it spans organizations). */
  readonly owner: "itself" | "organization" | "none";
  /** Only the platform (a global key) may grant access to it. */
  readonly globalKeyOnly: boolean;
  /** The reason given when it does not exist or may not be seen. */
  readonly notFound: NotFoundReason;
}

export const TARGETS = {
  organization: {
    label: "organization",
    idField: "organizationId",
    idsField: "organizationIds",
    owner: "itself",
    globalKeyOnly: false,
    notFound: "organization_not_found",
  },
  website: {
    label: "website",
    idField: "websiteId",
    idsField: "websiteIds",
    owner: "organization",
    globalKeyOnly: false,
    notFound: "website_not_found",
  },
  group: {
    label: "group",
    idField: "groupId",
    idsField: "groupIds",
    owner: "none",
    globalKeyOnly: true,
    notFound: "group_not_found",
  },
} as const satisfies Record<TargetType, TargetDescriptor>;

export const notFoundReason = (type: TargetType): NotFoundReason => TARGETS[type].notFound;

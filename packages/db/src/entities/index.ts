import { ApiKey } from "./ApiKey.entity.ts";
import { Delivery } from "./Delivery.entity.ts";
import { EmailQuotaWindow } from "./EmailQuotaWindow.entity.ts";
import { Event } from "./Event.entity.ts";
import { Group } from "./Group.entity.ts";
import { GroupWebsite } from "./GroupWebsite.entity.ts";
import { IdempotencyKey } from "./IdempotencyKey.entity.ts";
import { Invite } from "./Invite.entity.ts";
import { LinkInvite } from "./LinkInvite.entity.ts";
import { Membership } from "./Membership.entity.ts";
import { Organization } from "./Organization.entity.ts";
import { User } from "./User.entity.ts";
import { UserToken } from "./UserToken.entity.ts";
import { WebhookAttempt, WebhookEndpoint } from "./Webhook.entity.ts";
import { Website } from "./Website.entity.ts";

export {
  ApiKey,
  Delivery,
  EmailQuotaWindow,
  Event,
  Group,
  GroupWebsite,
  IdempotencyKey,
  Invite,
  LinkInvite,
  Membership,
  Organization,
  User,
  UserToken,
  WebhookAttempt,
  WebhookEndpoint,
  Website,
};

/** Every table of the schema (pg-boss's own schema and the migrations table aside). */
export const entities = [
  Organization,
  Website,
  Group,
  GroupWebsite,
  User,
  UserToken,
  Membership,
  ApiKey,
  Delivery,
  Invite,
  LinkInvite,
  IdempotencyKey,
  EmailQuotaWindow,
  Event,
  WebhookEndpoint,
  WebhookAttempt,
];

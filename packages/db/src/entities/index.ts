import { ApiKey } from "./ApiKey.entity.ts";
import { Group, GroupWebsite } from "./Group.entity.ts";
import { Delivery, Invite } from "./Invite.entity.ts";
import { Membership } from "./Membership.entity.ts";
import { Organization } from "./Organization.entity.ts";
import { User } from "./User.entity.ts";
import { Website } from "./Website.entity.ts";

export { ApiKey, Delivery, Group, GroupWebsite, Invite, Membership, Organization, User, Website };

export const entities = [ApiKey, Delivery, Group, GroupWebsite, Invite, Membership, Organization, User, Website];

import { Migration20261122000000_foundation } from "./Migration20261122000000_foundation.ts";
import { Migration20261122010000_lifecycle } from "./Migration20261122010000_lifecycle.ts";
import { Migration20261122020000_link_invites } from "./Migration20261122020000_link_invites.ts";
import { Migration20261202200000_events } from "./Migration20261202200000_events.ts";
import { Migration20261202300000_safety_rails } from "./Migration20261202300000_safety_rails.ts";
import { Migration20261202400000_delivery_reports } from "./Migration20261202400000_delivery_reports.ts";
import { Migration20261202500000_invitee_journey } from "./Migration20261202500000_invitee_journey.ts";
import { Migration20261202600000_credential_notify } from "./Migration20261202600000_credential_notify.ts";

/** Every migration, in order. Listed explicitly so that no file discovery is involved at run time. */
export const migrations = [
  Migration20261122000000_foundation,
  Migration20261122010000_lifecycle,
  Migration20261122020000_link_invites,
  Migration20261202200000_events,
  Migration20261202300000_safety_rails,
  Migration20261202400000_delivery_reports,
  Migration20261202500000_invitee_journey,
  Migration20261202600000_credential_notify,
];

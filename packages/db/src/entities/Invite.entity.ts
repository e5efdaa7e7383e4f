import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

export const Delivery = defineEntity({
  name: "Delivery",
  tableName: "deliveries",
  properties: {
    id: p.uuid().primary(),
    email: p.text(),
    tokenHash: p.blob().hidden(),
    status: p.text().default("queued"),
    attempts: p.integer().default(0),
    lastError: p.text().nullable(),
    inviterName: p.text().nullable(),
    createdAt: p.datetime().defaultRaw("now()"),
    sentAt: p.datetime().nullable(),
  },
});
export type Delivery = InferEntity<typeof Delivery>;

export const Invite = defineEntity({
  name: "Invite",
  tableName: "invites",
  properties: {
    id: p.uuid().primary(),
    email: p.text(),
    targetType: p.text(),
    targetId: p.uuid(),
    organizationId: p.uuid().nullable(),
    role: p.text(),
    status: p.text().default("pending"),
    deliveryId: p.uuid(),
    inviterKind: p.text(),
    inviterId: p.uuid().nullable(),
    firstName: p.text().nullable(),
    lastName: p.text().nullable(),
    expiresAt: p.datetime(),
    createdAt: p.datetime().defaultRaw("now()"),
    updatedAt: p.datetime().defaultRaw("now()"),
  },
});
export type Invite = InferEntity<typeof Invite>;

import { describe, expect, it } from "@effect/vitest";
import { Clock, Effect, Ref } from "effect";
import { TestClock } from "effect/testing";
import type { Principal } from "../access/Principal.ts";
import { AlreadyMember, Forbidden, InvalidInput, NotFound, RepositoryError } from "../errors/Errors.ts";
import * as InMemory from "../testing/InMemory.ts";
import { globalKey, organizationKey, rootKey, userPrincipal } from "../testing/Principals.ts";
import { inTestStore, MISSING, overtakenOnce as overtakenOnceOf, refusal } from "../testing/support.ts";
import { DirectInviteStore } from "./DirectInviteStore.ts";
import { EmailInviteStore } from "./EmailInviteStore.ts";
import { DEFAULT_INVITE_TTL_MS, InviteSettings } from "./InviteSettings.ts";
import { type CreateInviteInput, createInvite, targetOf } from "./Invites.ts";

/** Two tenants, each with a website, and a group spanning both. */
const world = Effect.gen(function* () {
  const orgA = yield* InMemory.seedOrganization({ name: "A" });
  const orgB = yield* InMemory.seedOrganization({ name: "B" });
  const siteA = yield* InMemory.seedWebsite(orgA.id, { name: "a.example" });
  const siteB = yield* InMemory.seedWebsite(orgB.id, { name: "b.example" });
  const group = yield* InMemory.seedGroup({ websiteIds: [siteA.id, siteB.id] });
  return { orgA, orgB, siteA, siteB, group };
});

const emailInvite = (email: string, extra: Partial<CreateInviteInput>): CreateInviteInput => ({
  type: "organization",
  method: "email",
  email,
  role: "read",
  ...extra,
});

const directInvite = (email: string, extra: Partial<CreateInviteInput>): CreateInviteInput => ({
  ...emailInvite(email, extra),
  method: "direct",
  ...extra,
});

/** Runs `self` with `concurrent` run to completion right before its first direct-invite write. */
const overtakenOnce = overtakenOnceOf(DirectInviteStore);

describe("targetOf", () => {
  const org: Principal = organizationKey("org-1");

  it("requires the id field of the chosen type", () => {
    for (const [type, field] of [
      ["website", "websiteId"],
      ["group", "groupId"],
      ["organization", "organizationId"],
    ] as const) {
      const result = targetOf(rootKey, { type });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.fieldErrors).toEqual({ [field]: [`Required when type is "${type}"`] });
    }
  });

  it("rejects the id fields of the other types, naming each", () => {
    const result = targetOf(rootKey, { type: "website", websiteId: "w", organizationId: "o", groupId: "g" });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(InvalidInput);
      expect(Object.keys(result.error.fieldErrors).sort()).toEqual(["groupId", "organizationId"]);
      expect(result.error.fieldErrors.organizationId).toEqual(['Not allowed when type is "website"']);
    }
    const forGroup = targetOf(rootKey, { type: "group", groupId: "g", websiteId: "w" });
    expect(forGroup.ok || Object.keys(forGroup.error.fieldErrors)).toEqual(["websiteId"]);
    const forOrg = targetOf(org, { type: "organization", websiteId: "w" });
    expect(forOrg.ok || Object.keys(forOrg.error.fieldErrors)).toEqual(["websiteId"]);
  });

  it("lets an organization key leave out organizationId: it means its own organization", () => {
    expect(targetOf(org, { type: "organization" })).toEqual({
      ok: true,
      target: { type: "organization", id: "org-1" },
    });
    // An explicit id is taken as given (access is decided later, not here).
    expect(targetOf(org, { type: "organization", organizationId: "org-2" })).toEqual({
      ok: true,
      target: { type: "organization", id: "org-2" },
    });
  });

  it("gives no default to global keys, users, or other target types", () => {
    expect(targetOf(globalKey(), { type: "organization" }).ok).toBe(false);
    expect(targetOf(userPrincipal({ id: "u", email: "u@x.io" }), { type: "organization" }).ok).toBe(false);
    expect(targetOf(org, { type: "website" }).ok).toBe(false);
  });

  it("names the target", () => {
    expect(targetOf(rootKey, { type: "website", websiteId: "w1" })).toEqual({
      ok: true,
      target: { type: "website", id: "w1" },
    });
    expect(targetOf(rootKey, { type: "group", groupId: "g1" })).toEqual({
      ok: true,
      target: { type: "group", id: "g1" },
    });
  });
});

describe("createInvite: direct", () => {
  it.effect("creates the user (unverified) and the membership, returns userId and no inviteId, queues no email", () =>
    inTestStore(
      Effect.gen(function* () {
        const { siteA } = yield* world;
        const result = yield* createInvite(
          rootKey,
          directInvite(" Ann@Example.COM", {
            type: "website",
            websiteId: siteA.id,
            role: "edit",
            firstName: "  Ann ",
            lastName: " ",
          }),
        );
        expect(Object.keys(result).sort()).toEqual(["message", "success", "userId"]);
        const s = yield* InMemory.snapshot;
        expect(s.users).toHaveLength(1);
        const [user] = s.users;
        expect(result).toMatchObject({ success: true, userId: user?.id });
        expect(user).toMatchObject({
          email: "ann@example.com",
          firstName: "Ann",
          lastName: null,
          emailVerified: false,
        });
        expect(s.memberships).toEqual([
          {
            userId: user?.id,
            target: { type: "website", id: siteA.id },
            role: "edit",
            sso: false,
            createdAt: expect.any(Date),
          },
        ]);
        expect(s.invites).toEqual([]);
        expect(s.deliveries).toEqual([]);
      }),
    ),
  );

  it.effect("reuses the existing account of that email", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        const ann = yield* InMemory.seedUser({ email: "ann@example.com", emailVerified: true });
        const result = yield* createInvite(rootKey, directInvite("ANN@example.com ", { organizationId: orgA.id }));
        expect(result).toMatchObject({ userId: ann.id });
        const s = yield* InMemory.snapshot;
        expect(s.users).toEqual([ann]);
        expect(s.memberships.map((m) => m.userId)).toEqual([ann.id]);
      }),
    ),
  );

  it.effect("a second direct invite to the same target is AlreadyMember and writes nothing", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        yield* createInvite(rootKey, directInvite("ann@example.com", { organizationId: orgA.id, role: "read" }));
        const error = yield* refusal(
          createInvite(rootKey, directInvite(" ANN@example.com", { organizationId: orgA.id, role: "admin" })),
        );
        expect(error).toBeInstanceOf(AlreadyMember);
        expect((yield* InMemory.snapshot).memberships.map((m) => m.role)).toEqual(["read"]);
      }),
    ),
  );

  it.effect("a failure after the user was created rolls the new user back", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        yield* InMemory.failOn("DirectInviteStore.write");
        const error = yield* refusal(
          createInvite(rootKey, directInvite("new@example.com", { organizationId: orgA.id })),
        );
        expect(error).toBeInstanceOf(RepositoryError);
        expect((yield* InMemory.snapshot).users).toEqual([]);
      }),
    ),
  );

  it.effect("a write overtaken by a concurrent invite of the same person is decided again on a fresh read", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB } = yield* world;
        // The concurrent invite creates the user between this invite's read and its write.
        const concurrent = createInvite(rootKey, directInvite("ann@example.com", { organizationId: orgB.id }));
        const result = yield* overtakenOnce(
          concurrent,
          createInvite(rootKey, directInvite("ann@example.com", { organizationId: orgA.id })),
        );
        const userId = "userId" in result ? result.userId : "";
        const s = yield* InMemory.snapshot;
        expect(s.users.map((u) => u.id)).toEqual([userId]);
        expect(s.memberships.map((m) => [m.userId, m.target.id])).toEqual([
          [userId, orgB.id],
          [userId, orgA.id],
        ]);
        expect(s.events.map((e) => e.type)).toEqual(["member.added", "member.added"]);
        // Overtaken by an invite to the same target: the fresh read finds the membership.
        const again = overtakenOnce(
          createInvite(rootKey, directInvite("bob@example.com", { organizationId: orgA.id })),
          createInvite(rootKey, directInvite("bob@example.com", { organizationId: orgA.id })),
        );
        expect(yield* Effect.flip(again)).toBeInstanceOf(AlreadyMember);
        expect((yield* InMemory.snapshot).memberships).toHaveLength(3);
      }),
    ),
  );
});

describe("createInvite: email", () => {
  it.effect(
    "creates a pending invite and one queued delivery; returns inviteId and no userId; creates no account",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const { siteA } = yield* world;
          yield* TestClock.setTime(1_000_000);
          const result = yield* createInvite(
            organizationKey((yield* InMemory.snapshot).organizations[0]?.id as string, "key-a"),
            emailInvite("Bob@Example.com", { type: "website", websiteId: siteA.id, role: "comment", firstName: "Bob" }),
          );
          expect(Object.keys(result).sort()).toEqual(["inviteId", "message", "success"]);
          const s = yield* InMemory.snapshot;
          expect(s.users).toEqual([]);
          expect(s.memberships).toEqual([]);
          expect(s.deliveries).toHaveLength(1);
          expect(s.invites).toHaveLength(1);
          const [invite] = s.invites;
          const [delivery] = s.deliveries;
          expect(result).toMatchObject({ success: true, inviteId: invite?.id });
          expect(invite).toMatchObject({
            email: "bob@example.com",
            target: { type: "website", id: siteA.id, organizationId: siteA.organizationId },
            role: "comment",
            status: "pending",
            deliveryId: delivery?.id,
            inviter: { kind: "api_key", id: "key-a" },
            firstName: "Bob",
            lastName: null,
            expiresAt: new Date(1_000_000 + DEFAULT_INVITE_TTL_MS),
          });
          expect(delivery).toMatchObject({
            email: "bob@example.com",
            status: "queued",
            inviterName: "Organization test key",
          });
          expect(delivery?.tokenHash).toMatch(/^h:inv_/);
        }),
      ),
  );

  it.effect("the invite lifetime comes from InviteSettings", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        yield* createInvite(rootKey, emailInvite("bob@example.com", { organizationId: orgA.id })).pipe(
          Effect.provideService(InviteSettings, { ...(yield* InviteSettings), inviteTtlMs: 60_000 }),
        );
        expect((yield* InMemory.snapshot).invites[0]?.expiresAt).toEqual(new Date(60_000));
      }),
    ),
  );

  it.effect("answers the same shape and message whether or not the account exists", () =>
    Effect.gen(function* () {
      const invite = (seedAccount: boolean) =>
        inTestStore(
          Effect.gen(function* () {
            const { orgA } = yield* world;
            if (seedAccount) yield* InMemory.seedUser({ email: "carol@example.com" });
            const result = yield* createInvite(rootKey, emailInvite("carol@example.com", { organizationId: orgA.id }));
            return { keys: Object.keys(result).sort(), message: result.message, state: yield* InMemory.snapshot };
          }),
        );
      const withAccount = yield* invite(true);
      const withoutAccount = yield* invite(false);
      expect(withAccount.keys).toEqual(["inviteId", "message", "success"]);
      expect(withoutAccount.keys).toEqual(withAccount.keys);
      expect(withoutAccount.message).toBe(withAccount.message);
      expect(withAccount.state.users).toHaveLength(1);
      expect(withoutAccount.state.users).toHaveLength(0);
    }),
  );

  it.effect(
    "a new invite for the same email and target replaces the pending one: same id, new delivery and token",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const { orgA, siteA } = yield* world;
          const first = yield* createInvite(
            rootKey,
            emailInvite("dan@example.com", { organizationId: orgA.id, role: "read" }),
          );
          const second = yield* createInvite(
            rootKey,
            emailInvite(" DAN@example.com", { organizationId: orgA.id, role: "edit" }),
          );
          expect("inviteId" in second && second.inviteId).toBe("inviteId" in first && first.inviteId);
          const s = yield* InMemory.snapshot;
          expect(s.invites).toHaveLength(1);
          expect(s.deliveries).toHaveLength(2);
          const [d1, d2] = s.deliveries;
          expect(d1?.tokenHash).not.toBe(d2?.tokenHash);
          expect(s.invites[0]).toMatchObject({ role: "edit", deliveryId: d2?.id });

          const other = yield* createInvite(
            rootKey,
            emailInvite("dan@example.com", { type: "website", websiteId: siteA.id }),
          );
          expect("inviteId" in other && other.inviteId).not.toBe("inviteId" in first && first.inviteId);
          expect((yield* InMemory.snapshot).invites).toHaveLength(2);
        }),
      ),
  );

  it.effect("inviting an existing member by email is AlreadyMember and writes nothing", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        const erin = yield* InMemory.seedUser({ email: "erin@example.com" });
        yield* InMemory.seedMembership(erin.id, { type: "organization", id: orgA.id }, "read");
        const error = yield* refusal(
          createInvite(rootKey, emailInvite("Erin@example.com", { organizationId: orgA.id })),
        );
        expect(error).toBeInstanceOf(AlreadyMember);
      }),
    ),
  );

  it.effect("a queued delivery sent by a worker between the read and the write: the replacement rides on it", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        yield* createInvite(rootKey, emailInvite("gus@example.com", { organizationId: orgA.id }));
        const real = yield* EmailInviteStore;
        const store = yield* InMemory.Store;
        let sent = false;
        const racing = EmailInviteStore.of({
          read: real.read,
          write: (plan) =>
            Effect.gen(function* () {
              if (!sent) {
                sent = true;
                const at = new Date(yield* Clock.currentTimeMillis);
                yield* Ref.update(store.state, (s) => ({
                  ...s,
                  deliveries: s.deliveries.map((d) => ({ ...d, status: "sent" as const, sentAt: at })),
                }));
              }
              return yield* real.write(plan);
            }),
        });
        const again = createInvite(rootKey, emailInvite("gus@example.com", { organizationId: orgA.id, role: "edit" }));
        yield* Effect.provideService(again, EmailInviteStore, racing);
        const s = yield* InMemory.snapshot;
        // The renewal found the delivery sent: decided again, the invite rides on the email just sent.
        expect(s.deliveries.map((d) => d.status)).toEqual(["sent"]);
        expect(s.invites.map((i) => [i.role, i.deliveryId])).toEqual([["edit", s.deliveries[0]?.id]]);
      }),
    ),
  );

  it.effect("a failure after the delivery was queued rolls the delivery back", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        yield* InMemory.failOn("EmailInviteStore.write");
        const error = yield* refusal(
          createInvite(rootKey, emailInvite("fay@example.com", { organizationId: orgA.id })),
        );
        expect(error).toBeInstanceOf(RepositoryError);
        expect((yield* InMemory.snapshot).deliveries).toEqual([]);
      }),
    ),
  );

  it.effect("records who invited: the root key, a stored global key, a user", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        const admin = yield* InMemory.seedUser({ email: "boss@example.com" });
        yield* InMemory.seedMembership(admin.id, { type: "organization", id: orgA.id }, "admin");
        yield* createInvite(rootKey, emailInvite("a@example.com", { organizationId: orgA.id }));
        yield* createInvite(globalKey("gk-1"), emailInvite("b@example.com", { organizationId: orgA.id }));
        yield* createInvite(userPrincipal(admin), emailInvite("c@example.com", { organizationId: orgA.id }));
        expect((yield* InMemory.snapshot).invites.map((i) => i.inviter)).toEqual([
          { kind: "root", id: null, name: "Admit" },
          { kind: "api_key", id: "gk-1", name: "Global test key" },
          { kind: "user", id: admin.id, name: admin.email },
        ]);
      }),
    ),
  );
});

describe("createInvite: input and tenancy", () => {
  it.effect("an invalid email is InvalidInput on `email` and writes nothing", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        for (const method of ["direct", "email"] as const) {
          const error = yield* refusal(
            createInvite(rootKey, { ...emailInvite("Ann <ann@example.com>", { organizationId: orgA.id }), method }),
          );
          expect(error).toBeInstanceOf(InvalidInput);
          expect(error).toMatchObject({ fieldErrors: { email: ["Invalid email address"] } });
        }
      }),
    ),
  );

  it.effect("fields of another type are InvalidInput and write nothing", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, siteA } = yield* world;
        const error = yield* refusal(
          createInvite(
            rootKey,
            directInvite("ann@example.com", { type: "website", websiteId: siteA.id, organizationId: orgA.id }),
          ),
        );
        expect(error).toMatchObject({
          _tag: "InvalidInput",
          fieldErrors: { organizationId: ['Not allowed when type is "website"'] },
        });
      }),
    ),
  );

  it.effect("target and email errors are reported together in one InvalidInput", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA } = yield* world;
        for (const method of ["direct", "email"] as const) {
          const error = yield* refusal(
            createInvite(rootKey, {
              ...emailInvite("not-an-email", { type: "website", organizationId: orgA.id }),
              method,
            }),
          );
          expect(error).toBeInstanceOf(InvalidInput);
          expect(error).toMatchObject({
            fieldErrors: {
              organizationId: ['Not allowed when type is "website"'],
              websiteId: ['Required when type is "website"'],
              email: ["Invalid email address"],
            },
          });
        }
        // The target comes first even when the caller could not act on it: input errors say nothing of tenants.
        const missing = yield* refusal(createInvite(globalKey(), emailInvite("", { type: "group" })));
        expect(missing).toMatchObject({
          _tag: "InvalidInput",
          fieldErrors: { groupId: ['Required when type is "group"'], email: ["Email is required"] },
        });
      }),
    ),
  );

  it.effect("an organization key without organizationId invites to its own organization", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgB } = yield* world;
        yield* createInvite(organizationKey(orgB.id), directInvite("gil@example.com", { type: "organization" }));
        expect((yield* InMemory.snapshot).memberships.map((m) => m.target)).toEqual([
          { type: "organization", id: orgB.id },
        ]);
      }),
    ),
  );

  it.effect("another tenant's organization or website answers exactly like one that does not exist", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, orgB, siteB } = yield* world;
        const key = organizationKey(orgA.id);
        for (const method of ["direct", "email"] as const) {
          const foreignSite = yield* refusal(
            createInvite(key, { ...directInvite("h@example.com", { type: "website", websiteId: siteB.id }), method }),
          );
          const missingSite = yield* refusal(
            createInvite(key, { ...directInvite("h@example.com", { type: "website", websiteId: MISSING }), method }),
          );
          expect(foreignSite).toBeInstanceOf(NotFound);
          expect(foreignSite).toEqual(missingSite);
          expect(foreignSite).toMatchObject({ reason: "website_not_found" });

          const foreignOrg = yield* refusal(
            createInvite(key, { ...directInvite("h@example.com", { organizationId: orgB.id }), method }),
          );
          const missingOrg = yield* refusal(
            createInvite(key, { ...directInvite("h@example.com", { organizationId: MISSING }), method }),
          );
          expect(foreignOrg).toEqual(missingOrg);
          expect(foreignOrg).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
        }
      }),
    ),
  );

  it.effect(
    "a group needs a global key: others get Forbidden group_requires_global_key, even for a missing group",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const { orgA, group } = yield* world;
          const admin = yield* InMemory.seedUser({ email: "boss@example.com" });
          yield* InMemory.seedMembership(admin.id, { type: "group", id: group.id }, "admin");
          for (const principal of [organizationKey(orgA.id), userPrincipal(admin)]) {
            for (const groupId of [group.id, MISSING]) {
              const error = yield* refusal(
                createInvite(principal, directInvite("i@example.com", { type: "group", groupId })),
              );
              expect(error).toBeInstanceOf(Forbidden);
              expect(error).toMatchObject({ reason: "group_requires_global_key" });
            }
          }
          const missing = yield* refusal(
            createInvite(rootKey, directInvite("i@example.com", { type: "group", groupId: MISSING })),
          );
          expect(missing).toMatchObject({ _tag: "NotFound", reason: "group_not_found" });
          const added = yield* createInvite(
            globalKey(),
            directInvite("i@example.com", { type: "group", groupId: group.id }),
          );
          expect(added).toHaveProperty("userId");
        }),
      ),
  );
});

describe("createInvite: user principals", () => {
  const setup = Effect.gen(function* () {
    const w = yield* world;
    const user = yield* InMemory.seedUser({ email: "boss@example.com" });
    return { ...w, user, principal: userPrincipal(user) };
  });

  it.effect("an organization admin is admin of all its websites", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, siteA, siteB, user, principal } = yield* setup;
        yield* InMemory.seedMembership(user.id, { type: "organization", id: orgA.id }, "admin");
        yield* createInvite(principal, directInvite("j@example.com", { organizationId: orgA.id, role: "admin" }));
        yield* createInvite(principal, emailInvite("k@example.com", { type: "website", websiteId: siteA.id }));
        const foreign = yield* refusal(
          createInvite(principal, directInvite("j@example.com", { type: "website", websiteId: siteB.id })),
        );
        expect(foreign).toMatchObject({ _tag: "NotFound", reason: "website_not_found" });
      }),
    ),
  );

  it.effect("a website admin may invite to that website but not to its organization", () =>
    inTestStore(
      Effect.gen(function* () {
        const { orgA, siteA, user, principal } = yield* setup;
        yield* InMemory.seedMembership(user.id, { type: "website", id: siteA.id }, "admin");
        yield* createInvite(principal, directInvite("j@example.com", { type: "website", websiteId: siteA.id }));
        const error = yield* refusal(
          createInvite(principal, directInvite("j@example.com", { organizationId: orgA.id })),
        );
        expect(error).toMatchObject({ _tag: "NotFound", reason: "organization_not_found" });
      }),
    ),
  );

  it.effect(
    "a member below admin is Forbidden insufficient_role; the higher of website and organization role counts",
    () =>
      inTestStore(
        Effect.gen(function* () {
          const { orgA, siteA, user, principal } = yield* setup;
          yield* InMemory.seedMembership(user.id, { type: "organization", id: orgA.id }, "create");
          const onOrg = yield* refusal(
            createInvite(principal, directInvite("j@example.com", { organizationId: orgA.id, role: "read" })),
          );
          expect(onOrg).toMatchObject({ _tag: "Forbidden", reason: "insufficient_role" });
          const onSite = yield* refusal(
            createInvite(principal, emailInvite("j@example.com", { type: "website", websiteId: siteA.id })),
          );
          expect(onSite).toMatchObject({ _tag: "Forbidden", reason: "insufficient_role" });

          yield* InMemory.seedMembership(user.id, { type: "website", id: siteA.id }, "admin");
          const ok = yield* createInvite(
            principal,
            emailInvite("j@example.com", { type: "website", websiteId: siteA.id }),
          );
          expect(ok).toHaveProperty("inviteId");
        }),
      ),
  );

  it.effect("a user with no membership gets NotFound, the same as for a target that does not exist", () =>
    inTestStore(
      Effect.gen(function* () {
        const { siteA, principal } = yield* setup;
        const existing = yield* refusal(
          createInvite(principal, directInvite("j@example.com", { type: "website", websiteId: siteA.id })),
        );
        const missing = yield* refusal(
          createInvite(principal, directInvite("j@example.com", { type: "website", websiteId: MISSING })),
        );
        expect(existing).toEqual(missing);
        expect(existing).toMatchObject({ _tag: "NotFound", reason: "website_not_found" });
      }),
    ),
  );
});

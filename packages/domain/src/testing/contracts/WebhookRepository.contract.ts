import { Effect } from "effect";
import { expect } from "vitest";
import type { EventType } from "../../events/Event.ts";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { TenancyRepository } from "../../tenancy/TenancyRepository.ts";
import { WebhookRepository } from "../../webhooks/WebhookRepository.ts";
import { allPages, ContractSeeds, contract, inTurn, tick } from "./harness.ts";

/** `whsec_` and the base64 of 32 bytes. */
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

const organization = Effect.gen(function* () {
  return yield* (yield* TenancyRepository).createOrganization({ id: yield* (yield* IdGenerator).next, name: "acme" });
});

const endpoint = (organizationId: string | null, url = "https://hooks.example/admit", eventTypes: EventType[] = []) =>
  Effect.gen(function* () {
    return yield* (yield* WebhookRepository).create({
      id: yield* (yield* IdGenerator).next,
      organizationId,
      url,
      eventTypes,
      description: null,
    });
  });

const ids = (items: ReadonlyArray<{ readonly id: string }>) => items.map((i) => i.id);

/** Webhook endpoints: one organization's or the platform's, with a signing secret; their attempts newest first. */
export const webhookRepositoryContract = contract("WebhookRepository", (it) => {
  it("creates an enabled endpoint with a fresh signing secret, and reads it back", function* () {
    const webhooks = yield* WebhookRepository;
    const idGenerator = yield* IdGenerator;
    const org = yield* organization;
    const fields = {
      id: yield* idGenerator.next,
      organizationId: org.id,
      url: "https://hooks.example/acme",
      eventTypes: ["member.added", "invite.created"] as EventType[],
      description: "CRM sync",
    };
    const { endpoint: created, secret } = yield* webhooks.create(fields);
    expect(created).toEqual({
      ...fields,
      enabled: true,
      disabledReason: null,
      createdAt: expect.any(Date),
      updatedAt: created.createdAt,
    });
    expect(secret).toMatch(SECRET);
    expect(yield* webhooks.get(created.id)).toEqual(created);
    const platform = yield* endpoint(null);
    expect(platform.endpoint).toMatchObject({ organizationId: null, eventTypes: [] });
    expect(platform.secret).toMatch(SECRET);
    expect(platform.secret).not.toBe(secret);
    expect(yield* webhooks.get(yield* idGenerator.next)).toBeNull();
  });

  it("lists an organization's endpoints newest first, page by page; without one, every endpoint", function* () {
    const webhooks = yield* WebhookRepository;
    const org = yield* organization;
    const other = yield* organization;
    const mine = (yield* inTurn(["a", "b", "c"], () => endpoint(org.id))).map((e) => e.endpoint);
    const theirs = (yield* endpoint(other.id)).endpoint;
    yield* tick;
    const platform = (yield* endpoint(null)).endpoint;
    const [a, b, c] = ids(mine);

    const pages = yield* allPages((page) => webhooks.list(org.id, page), 2);
    expect(pages.map(ids)).toEqual([[c, b], [a]]);
    expect(pages.flat()).toEqual([...mine].reverse());
    const whole = yield* webhooks.list(org.id, { cursor: null, limit: 3 });
    expect(whole.nextCursor).toBeNull();
    expect(ids((yield* webhooks.list(other.id, { cursor: null, limit: 10 })).items)).toEqual([theirs.id]);

    // Other endpoints may share the store: only these are looked at.
    const written = new Set([...ids(mine), theirs.id, platform.id]);
    const every = (yield* webhooks.list(null, { cursor: null, limit: 1000 })).items.filter((e) => written.has(e.id));
    expect(ids(every)).toEqual([platform.id, theirs.id, c, b, a]);
  });

  it("updates only what it is given; disabling keeps a reason until enabled again", function* () {
    const webhooks = yield* WebhookRepository;
    const org = yield* organization;
    const { endpoint: created } = yield* webhooks.create({
      id: yield* (yield* IdGenerator).next,
      organizationId: org.id,
      url: "https://hooks.example/a",
      eventTypes: ["invite.created"],
      description: "first",
    });
    yield* tick;
    const moved = yield* webhooks.update(created.id, { url: "https://hooks.example/b" });
    expect(moved).toEqual({ ...created, url: "https://hooks.example/b", updatedAt: expect.any(Date) });
    expect(moved?.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
    expect(yield* webhooks.update(created.id, { description: null, eventTypes: [] })).toMatchObject({
      url: "https://hooks.example/b",
      description: null,
      eventTypes: [],
    });
    expect(yield* webhooks.update(created.id, { enabled: false, disabledReason: "failing for 5 days" })).toMatchObject({
      enabled: false,
      disabledReason: "failing for 5 days",
    });
    expect(yield* webhooks.update(created.id, { description: "kept" })).toMatchObject({
      enabled: false,
      disabledReason: "failing for 5 days",
      description: "kept",
    });
    expect(yield* webhooks.update(created.id, { enabled: true })).toMatchObject({
      enabled: true,
      disabledReason: null,
    });
    expect(yield* webhooks.update(created.id, { enabled: false })).toMatchObject({
      enabled: false,
      disabledReason: null,
    });
    expect(yield* webhooks.get(created.id)).toMatchObject({
      url: "https://hooks.example/b",
      eventTypes: [],
      description: "kept",
      enabled: false,
    });
    expect(yield* webhooks.update(yield* (yield* IdGenerator).next, { enabled: true })).toBeNull();
  });

  it("rotates the secret, and deletes once", function* () {
    const webhooks = yield* WebhookRepository;
    const org = yield* organization;
    const { endpoint: created, secret } = yield* endpoint(org.id);
    const rotated = yield* webhooks.rotateSecret(created.id, new Date(Date.now() + 86_400_000));
    expect(rotated).toMatch(SECRET);
    expect(rotated).not.toBe(secret);
    expect(yield* webhooks.rotateSecret(yield* (yield* IdGenerator).next, new Date())).toBeNull();
    expect(yield* webhooks.delete(created.id)).toBe(true);
    expect(yield* webhooks.get(created.id)).toBeNull();
    expect(yield* webhooks.delete(created.id)).toBe(false);
    expect((yield* webhooks.list(org.id, { cursor: null, limit: 10 })).items).toEqual([]);
  });

  it("lists an endpoint's attempts newest first, page by page, and forgets them with the endpoint", function* () {
    const webhooks = yield* WebhookRepository;
    const seeds = yield* ContractSeeds;
    const idGenerator = yield* IdGenerator;
    const org = yield* organization;
    const { endpoint: hook } = yield* endpoint(org.id);
    const { endpoint: other } = yield* endpoint(org.id);
    const eventId = yield* idGenerator.next;
    const outcomes = [
      { statusCode: null, error: "timed out after 10 s", durationMs: 10_000 },
      { statusCode: 500, error: null, durationMs: 42 },
      { statusCode: 204, error: null, durationMs: 7 },
    ];
    const written = yield* inTurn([...outcomes.entries()], ([i, outcome]) =>
      seeds.webhookAttempt(hook.id, { eventId, eventType: "invite.created", attempt: i + 1, ...outcome }),
    );
    yield* seeds.webhookAttempt(other.id, {
      eventId,
      eventType: "invite.created",
      attempt: 1,
      statusCode: 200,
      error: null,
      durationMs: 1,
    });

    const pages = yield* allPages((page) => webhooks.attempts(hook.id, page), 2);
    expect(pages.map(ids)).toEqual([[written[2], written[1]], [written[0]]]);
    expect(pages.flat()).toEqual(
      outcomes
        .map((outcome, i) => ({
          id: written[i],
          eventId,
          eventType: "invite.created",
          attempt: i + 1,
          ...outcome,
          createdAt: expect.any(Date),
        }))
        .reverse(),
    );
    expect((yield* webhooks.attempts(other.id, { cursor: null, limit: 10 })).items).toHaveLength(1);
    expect(yield* webhooks.attempts(yield* idGenerator.next, { cursor: null, limit: 10 })).toEqual({
      items: [],
      nextCursor: null,
    });
    yield* webhooks.delete(hook.id);
    expect((yield* webhooks.attempts(hook.id, { cursor: null, limit: 10 })).items).toEqual([]);
  });

  it("refuses an endpoint of a missing organization", function* () {
    const error = yield* Effect.flip(endpoint(yield* (yield* IdGenerator).next));
    expect(error._tag).toBe("RepositoryError");
  });
});

import { Effect } from "effect";
import { expect } from "vitest";
import { ExpiredInvites } from "../../invites/ExpiredInvites.ts";
import { InviteRepository } from "../../invites/InviteRepository.ts";
import { inviteByEmail, redeliver, respond, websiteOf, world } from "./fixtures.ts";
import { contract, freshEmail } from "./harness.ts";

/**
 * Each case sweeps at its own instant long past, so that on a shared database it meets only the
 * invites it wrote: every other case's invites expire later, or were claimed by their own case.
 * Invites meant never to fall due expire far in the future.
 */
const NEVER = new Date(Date.UTC(2999, 0, 1));

const claimedIds = (now: Date, limit: number) =>
  Effect.gen(function* () {
    return (yield* (yield* ExpiredInvites).claim(now, limit)).map((i) => i.id);
  });

/** Pending invites past their expiry: each claimed once, earliest expiry first, up to a limit. */
export const expiredInvitesContract = contract("ExpiredInvites", (it) => {
  it("claims pending invites at or past their expiry once, earliest expiry first, up to the limit", function* () {
    const now = new Date(Date.UTC(1990, 0, 1));
    const at = (ms: number) => new Date(now.getTime() + ms);
    const { org, organization, website } = yield* world;
    const targets = [organization, website];
    for (let i = 0; i < 3; i++) targets.push(yield* websiteOf(org.id, `site ${i}`));
    const email = freshEmail("ann");
    const invite = (n: number, expiresAt: Date) =>
      Effect.map(inviteByEmail(email, [targets[n] as (typeof targets)[number]], { expiresAt }), (x) => x.ids[0]);
    // Written in an order unlike their expiries.
    const late = yield* invite(0, at(-1_000));
    const early = yield* invite(1, at(-3_000));
    const onTheDot = yield* invite(2, at(0));
    const future = yield* invite(3, NEVER);
    const answered = yield* invite(4, at(-2_000));
    yield* respond([answered as string], "accepted");

    const first = yield* (yield* ExpiredInvites).claim(now, 2);
    expect(first.map((i) => i.id)).toEqual([early, late]);
    expect(first[0]).toEqual(yield* (yield* InviteRepository).get(early as string));
    expect(first[0]).toMatchObject({ status: "pending", expiresAt: at(-3_000), email });
    expect(yield* claimedIds(now, 10)).toEqual([onTheDot]);
    expect(yield* claimedIds(now, 10)).toEqual([]);
    expect((yield* (yield* InviteRepository).get(future as string))?.status).toBe("pending");
  });

  it("claims nothing before an invite's expiry, and an invite again at its new expiry", function* () {
    const now = new Date(Date.UTC(1991, 0, 1));
    const at = (ms: number) => new Date(now.getTime() + ms);
    const { organization } = yield* world;
    const email = freshEmail("ann");
    const [id] = (yield* inviteByEmail(email, [organization], { expiresAt: at(0) })).ids;
    expect(yield* claimedIds(at(-1), 10)).toEqual([]);
    expect(yield* claimedIds(at(0), 10)).toEqual([id]);
    yield* redeliver(id as string, email, at(5_000));
    expect(yield* claimedIds(at(4_999), 10)).toEqual([]);
    const again = yield* (yield* ExpiredInvites).claim(at(5_000), 10);
    expect(again.map((i) => [i.id, i.expiresAt])).toEqual([[id, at(5_000)]]);
    expect(yield* claimedIds(at(60_000), 10)).toEqual([]);
  });
});

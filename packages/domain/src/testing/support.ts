import { Effect } from "effect";
import { expect } from "vitest";
import * as InMemory from "./InMemory.ts";

/** Runs a use case on a fresh in-memory store with every port. */
export const inTestStore = <A, E, R>(self: Effect.Effect<A, E, R>) => self.pipe(Effect.provide(InMemory.layerTest));

/** A well-formed id that no seeded row has. */
export const MISSING = "99999999-9999-4999-8999-999999999999";

/** Runs a use case that must fail, checks that it wrote nothing, and answers its error. */
export const refusal = <A, R>(self: Effect.Effect<A, unknown, R>) =>
  Effect.gen(function* () {
    const before = yield* InMemory.snapshot;
    const error = yield* Effect.flip(self);
    const after = yield* InMemory.snapshot;
    expect(after.events, "a refused request records no event").toEqual(before.events);
    expect(after, "a refused request writes nothing").toEqual(before);
    return error;
  });

/** The events written since `before` (a snapshot), as `type subject.type:subject.id` lines plus the records. */
export const eventsSince = (before: InMemory.StoreState) =>
  Effect.map(InMemory.snapshot, (s) => s.events.slice(before.events.length));

import { Schema } from "effect";
import { REASONS } from "./Reasons.ts";

/** Input that passed the shape checks at the edge but breaks a rule: names the offending fields. */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  message: Schema.String,
  fieldErrors: Schema.Record(Schema.String, Schema.Array(Schema.String)),
}) {}

export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  reason: Schema.Literals(REASONS.NotFound),
}) {}

export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  reason: Schema.Literals(REASONS.Forbidden),
}) {}

export class AlreadyMember extends Schema.TaggedError<AlreadyMember>()("AlreadyMember", {}) {}

export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  reason: Schema.Literals(REASONS.Conflict),
}) {}

export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  reason: Schema.Literals(REASONS.Unauthorized),
}) {}

export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()("TooManyRequests", {
  reason: Schema.Literals(REASONS.TooManyRequests),
  /** Seconds until a retry can succeed, when known. */
  retryAfter: Schema.optional(Schema.Number),
  /** The limit that was hit and the length of its window, when it is a quota. */
  limit: Schema.optional(Schema.Number),
  windowSeconds: Schema.optional(Schema.Number),
}) {}

/** The one infrastructure error of every port. Never shown to callers. */
export class RepositoryError extends Schema.TaggedError<RepositoryError>()("RepositoryError", {
  cause: Schema.Defect(),
}) {}

export const invalid = (field: string, message: string) =>
  new InvalidInput({ message: `Invalid input: ${field}`, fieldErrors: { [field]: [message] } });

export type DomainError =
  | InvalidInput
  | NotFound
  | Forbidden
  | AlreadyMember
  | Conflict
  | Unauthorized
  | TooManyRequests
  | RepositoryError;

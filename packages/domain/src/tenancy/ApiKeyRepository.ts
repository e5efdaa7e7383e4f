import { Context, type Effect } from "effect";
import type { RepositoryError } from "../errors/Errors.ts";
import type { Page, PageRequest } from "../members/MembershipRepository.ts";

export type ApiKeyKind = "global" | "organization";

export interface ApiKeyView {
  readonly id: string;
  readonly kind: ApiKeyKind;
  readonly organizationId: string | null;
  readonly name: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export class ApiKeyRepository extends Context.Service<
  ApiKeyRepository,
  {
    create(key: {
      id: string;
      kind: ApiKeyKind;
      organizationId: string | null;
      name: string;
      secretHash: string;
    }): Effect.Effect<ApiKeyView, RepositoryError>;
    /** The unrevoked key with that secret hash. */
    findActiveByHash(secretHash: string): Effect.Effect<ApiKeyView | null, RepositoryError>;
    get(id: string): Effect.Effect<ApiKeyView | null, RepositoryError>;
    list(organizationId: string | null, page: PageRequest): Effect.Effect<Page<ApiKeyView>, RepositoryError>;
    revoke(id: string): Effect.Effect<ApiKeyView | null, RepositoryError>;
  }
>()("@admit/domain/ApiKeyRepository") {}

import { Transactor } from "@admit/domain";
import { Layer } from "effect";
import { ApiKeyRepositoryPostgres } from "./adapters/ApiKeyRepositoryPostgres.ts";
import { DeliveryJobsPgBoss } from "./adapters/DeliveryJobs.ts";
import { DeliveryOutboxPostgres } from "./adapters/DeliveryOutboxPostgres.ts";
import { DeliveryReportRepositoryPostgres } from "./adapters/DeliveryReportRepositoryPostgres.ts";
import { DeliveryRepositoryPostgres } from "./adapters/DeliveryRepositoryPostgres.ts";
import { DirectInviteStorePostgres } from "./adapters/DirectInviteStorePostgres.ts";
import { EmailInviteStorePostgres } from "./adapters/EmailInviteStorePostgres.ts";
import { EmailQuotaCounterPostgres } from "./adapters/EmailQuotaCounterPostgres.ts";
import { EventLogPostgres } from "./adapters/EventLogPostgres.ts";
import { ExpiredInvitesPostgres } from "./adapters/ExpiredInvitesPostgres.ts";
import { InviteAnswerStorePostgres } from "./adapters/InviteAnswerStorePostgres.ts";
import { InviteRepositoryPostgres } from "./adapters/InviteRepositoryPostgres.ts";
import { IdGeneratorCrypto, TokenGeneratorCrypto } from "./adapters/ids.ts";
import { LinkInviteRepositoryPostgres } from "./adapters/LinkInviteRepositoryPostgres.ts";
import { MembershipRepositoryPostgres } from "./adapters/MembershipRepositoryPostgres.ts";
import { TargetRepositoryPostgres } from "./adapters/TargetRepositoryPostgres.ts";
import { TenancyRepositoryPostgres } from "./adapters/TenancyRepositoryPostgres.ts";
import { UserRepositoryPostgres } from "./adapters/UserRepositoryPostgres.ts";
import { UserTokenRepositoryPostgres } from "./adapters/UserTokenRepositoryPostgres.ts";
import { WebhookRepositoryPostgres } from "./adapters/WebhookRepositoryPostgres.ts";
import type { CredentialCache } from "./credentialCache.ts";
import { withLockedTransaction } from "./heldTransaction.ts";
import type { Orm } from "./orm.ts";
import { makeTokenSealer } from "./sealing.ts";
import { Database, withTransaction } from "./sql.ts";

export const TransactorPostgres = Layer.effect(
  Transactor,
  Database.useSync(({ orm }) =>
    Transactor.of({
      withTransaction: (self, options) =>
        options?.serializeOn === undefined
          ? withTransaction(orm)(self)
          : withLockedTransaction(orm, options.serializeOn)(self),
    }),
  ),
);

/**
 * Every domain port, implemented on PostgreSQL through the given MikroORM instance; credential
 * lookups go through `credentials` when given (see credentialCache.ts).
 */
export const layer = (orm: Orm, options: { tokenKey: string; credentials?: CredentialCache | null }) =>
  Layer.mergeAll(
    TransactorPostgres,
    TargetRepositoryPostgres,
    UserRepositoryPostgres,
    MembershipRepositoryPostgres,
    InviteRepositoryPostgres,
    DeliveryRepositoryPostgres,
    DirectInviteStorePostgres,
    InviteAnswerStorePostgres,
    EmailInviteStorePostgres,
    DeliveryOutboxPostgres,
    DeliveryReportRepositoryPostgres,
    EmailQuotaCounterPostgres,
    TenancyRepositoryPostgres,
    ApiKeyRepositoryPostgres,
    UserTokenRepositoryPostgres,
    LinkInviteRepositoryPostgres,
    EventLogPostgres,
    ExpiredInvitesPostgres,
    WebhookRepositoryPostgres,
  ).pipe(
    // One queue client for every adapter that queues a delivery.
    Layer.provide(DeliveryJobsPgBoss),
    Layer.provideMerge(Layer.mergeAll(IdGeneratorCrypto, TokenGeneratorCrypto)),
    Layer.provide(
      Layer.succeed(
        Database,
        Database.of({ orm, sealer: makeTokenSealer(options.tokenKey), credentials: options.credentials ?? null }),
      ),
    ),
  );

import { Transactor } from "@admit/domain";
import { Layer } from "effect";
import { ApiKeyRepositoryMikro } from "./adapters/ApiKeyRepositoryMikro.ts";
import { DeliveryOutboxMikro } from "./adapters/DeliveryOutboxMikro.ts";
import { DeliveryReportRepositoryMikro } from "./adapters/DeliveryReportRepositoryMikro.ts";
import { DeliveryRepositoryMikro } from "./adapters/DeliveryRepositoryMikro.ts";
import { EmailQuotaCounterMikro } from "./adapters/EmailQuotaCounterMikro.ts";
import { EventLogMikro } from "./adapters/EventLogMikro.ts";
import { ExpiredInvitesMikro } from "./adapters/ExpiredInvitesMikro.ts";
import { InviteRepositoryMikro } from "./adapters/InviteRepositoryMikro.ts";
import { IdGeneratorCrypto, TokenGeneratorCrypto } from "./adapters/ids.ts";
import { LinkInviteRepositoryMikro } from "./adapters/LinkInviteRepositoryMikro.ts";
import { MembershipRepositoryMikro } from "./adapters/MembershipRepositoryMikro.ts";
import { TargetRepositoryMikro } from "./adapters/TargetRepositoryMikro.ts";
import { TenancyRepositoryMikro } from "./adapters/TenancyRepositoryMikro.ts";
import { UserRepositoryMikro } from "./adapters/UserRepositoryMikro.ts";
import { UserTokenRepositoryMikro } from "./adapters/UserTokenRepositoryMikro.ts";
import { WebhookRepositoryMikro } from "./adapters/WebhookRepositoryMikro.ts";
import type { CredentialCache } from "./credentialCache.ts";
import type { Orm } from "./orm.ts";
import { makeTokenSealer } from "./sealing.ts";
import { Database, withTransaction } from "./sql.ts";

export const TransactorMikro = Layer.effect(
  Transactor,
  Database.useSync(({ orm }) => Transactor.of({ withTransaction: withTransaction(orm) })),
);

/**
 * Every domain port, implemented on PostgreSQL through the given MikroORM instance; credential
 * lookups go through `credentials` when given (see credentialCache.ts).
 */
export const layer = (orm: Orm, options: { tokenKey: string; credentials?: CredentialCache | null }) =>
  Layer.mergeAll(
    TransactorMikro,
    TargetRepositoryMikro,
    UserRepositoryMikro,
    MembershipRepositoryMikro,
    InviteRepositoryMikro,
    DeliveryRepositoryMikro,
    DeliveryOutboxMikro,
    DeliveryReportRepositoryMikro,
    EmailQuotaCounterMikro,
    TenancyRepositoryMikro,
    ApiKeyRepositoryMikro,
    UserTokenRepositoryMikro,
    LinkInviteRepositoryMikro,
    EventLogMikro,
    ExpiredInvitesMikro,
    WebhookRepositoryMikro,
  ).pipe(
    Layer.provideMerge(Layer.mergeAll(IdGeneratorCrypto, TokenGeneratorCrypto)),
    Layer.provide(
      Layer.succeed(
        Database,
        Database.of({ orm, sealer: makeTokenSealer(options.tokenKey), credentials: options.credentials ?? null }),
      ),
    ),
  );

import { type CredentialCache, layer as dbLayer, type Orm, sha256Hex, WebhookUrlPolicyDns } from "@admit/db";
import { InviteSettings, RootKeyHash } from "@admit/domain";
import { Layer, ManagedRuntime, References } from "effect";
import type { ApiConfig } from "./config.ts";

export const makeLayer = (orm: Orm, config: ApiConfig, credentials: CredentialCache | null = null) =>
  dbLayer(orm, { tokenKey: config.tokenEncryptionKey, credentials }).pipe(
    Layer.merge(
      Layer.mergeAll(
        Layer.succeed(InviteSettings, {
          inviteTtlMs: config.inviteTtlMs,
          resendsPerRecipientPerHour: 3,
          emailInvitesPerHour: config.emailInvitesPerHour,
        }),
        Layer.succeed(RootKeyHash, config.rootKey === null ? null : sha256Hex(config.rootKey)),
        WebhookUrlPolicyDns({ allowedHosts: config.webhookAllowedHosts }),
        // No tracer is installed: without this every `Effect.fn` still records a span (clock
        // reads and objects) that nothing reads.
        Layer.succeed(References.TracerEnabled, false),
      ),
    ),
  );

export type AppServices = Layer.Success<ReturnType<typeof makeLayer>>;

/** One runtime per process: every request runs its use case on it. */
export const makeRuntime = (orm: Orm, config: ApiConfig, credentials: CredentialCache | null = null) =>
  ManagedRuntime.make(makeLayer(orm, config, credentials));

export type AppRuntime = ReturnType<typeof makeRuntime>;

import { DeliveryRepository } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Database, makeQuery } from "../sql.ts";

export const DeliveryRepositoryMikro = Layer.effect(
  DeliveryRepository,
  Effect.gen(function* () {
    const query = makeQuery((yield* Database).orm);
    return DeliveryRepository.of({
      enqueue: (d) =>
        query("insert into deliveries (id, email, token_hash, inviter_name) values (?, ?, decode(?, 'hex'), ?)", [
          d.id,
          d.email,
          d.tokenHash,
          d.inviterName,
        ]).pipe(Effect.asVoid),
    });
  }),
);

import { DeliveryReportRepository } from "../../deliveries/DeliveryReportRepository.ts";
import { organizationsOf, storeAdapter } from "./Store.ts";

/** The provider's reports over the store; the row lock `findByMessageId` takes is not modelled. */
export const DeliveryReportRepositoryTest = storeAdapter(DeliveryReportRepository, ({ r, w }) =>
  DeliveryReportRepository.of({
    findByMessageId: (messageId) =>
      r("DeliveryReportRepository.findByMessageId", (s) => {
        const d = s.deliveries.find((x) => x.providerMessageId === messageId);
        return d === undefined
          ? null
          : {
              id: d.id,
              email: d.email,
              kind: d.kind,
              organizationIds: organizationsOf(s, d.id),
              status: d.status,
              bouncePermanent: d.bounce?.permanent ?? null,
            };
      }),
    // A state without a bounce (a complaint) keeps the bounce already recorded.
    record: (deliveryId, state) =>
      w("DeliveryReportRepository.record", (s) => [
        undefined,
        {
          ...s,
          deliveries: s.deliveries.map((d) =>
            d.id !== deliveryId
              ? d
              : {
                  ...d,
                  status: state.status,
                  reportedAt: state.at,
                  bounce:
                    state.bounce === null
                      ? (d.bounce ?? null)
                      : {
                          type: state.bounce.type.slice(0, 100),
                          description: state.bounce.description.slice(0, 1000),
                          permanent: state.bounce.permanent,
                        },
                },
          ),
        },
      ]),
  }),
);

import { buyerLinkSubscriptions } from "../kernel/buyer-links";
import type { Clock } from "../kernel/clock";
import type { Subscription } from "../kernel/events";
import type { Channel } from "../kernel/types";
import { ExceptionKind, KnownSkuRow, OrderExceptionRow, OrderLineRow, OrderRow } from "./entities";
import { resolveUnmapped } from "./order-service";

export const SKU_MAPPED = "product.channel_sku_mapped";

/**
 * Orders listens for identity links (who owns a buyer account) and for SKU mappings:
 * a newly mapped SKU releases the orders that were waiting on it.
 */
export function subscriptions({ clock }: { clock: Clock }): Subscription[] {
  const knownSkus: Subscription = {
    consumer: "orders.known-skus",
    types: [SKU_MAPPED],
    async apply(em, event) {
      const p = event.payload as { channel: Channel; channelSkuId: string };
      if (!(await em.findOneBy(KnownSkuRow, { channel: p.channel, channelSkuId: p.channelSkuId }))) {
        await em.insert(KnownSkuRow, { channel: p.channel, channelSkuId: p.channelSkuId });
      }
      const waiting = await em
        .createQueryBuilder(OrderExceptionRow, "x")
        .select("DISTINCT x.orderId", "orderId")
        .innerJoin(OrderRow, "o", "o.id = x.orderId AND o.channel = :channel", { channel: p.channel })
        .innerJoin(OrderLineRow, "l", "l.orderId = x.orderId AND l.channelSkuId = :sku", { sku: p.channelSkuId })
        .where("x.kind = :kind AND x.resolvedAt IS NULL", { kind: ExceptionKind.UNMAPPED_SKU })
        .getRawMany<{ orderId: number }>();
      for (const { orderId } of waiting) await resolveUnmapped(em, Number(orderId), clock);
    },
  };
  return [...buyerLinkSubscriptions("orders.buyer-links"), knownSkus];
}

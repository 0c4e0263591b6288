import type { DataSource, EntityManager } from "typeorm";
import { consumeBuyerLinks } from "../kernel/buyer-links";
import { consumeOnce, type EventBus, type OutboxRelay } from "../kernel/events";
import type { Channel } from "../kernel/types";
import type { OrderLineSnapshot } from "./domain";
import { OrderRefRow } from "./entities";

/** The part of order.created this subgraph reads. */
interface OrderCreated {
  orderKey: number;
  channel: Channel;
  currency: string;
  buyer: { channelCustomerId: string };
  lines: Array<{ lineKey: number; quantity: number; unitPriceMinor: number; discountMinor: number }>;
  totalMinor: number;
}

/**
 * Keeps the projections this subgraph needs: who owns which channel buyer, and each
 * order's lines and prices. consumeOnce makes a redelivered event a no-op.
 */
export function consume(ds: DataSource, bus: EventBus, _relay: OutboxRelay): void {
  consumeBuyerLinks(ds, bus, "aftersales.buyer-links");
  bus.subscribe(["order.created"], async (event) => {
    const p = event.payload as unknown as OrderCreated;
    await consumeOnce(ds, "aftersales.order-refs", event, (em) => upsertOrderRef(em, p));
  });
}

async function upsertOrderRef(em: EntityManager, p: OrderCreated): Promise<void> {
  // Only what pricing a refund needs; SKU ids and names stay with the orders subgraph.
  const lines: OrderLineSnapshot[] = p.lines.map((l) => ({
    lineKey: l.lineKey,
    quantity: l.quantity,
    unitPriceMinor: l.unitPriceMinor,
    discountMinor: l.discountMinor ?? 0,
  }));
  const values = {
    channel: p.channel,
    buyerChannelCustomerId: p.buyer.channelCustomerId,
    currency: p.currency,
    lines,
    totalMinor: p.totalMinor,
  };
  // A second order.created for the same order (a re-import) replaces the snapshot.
  const existing = await em.findOneBy(OrderRefRow, { orderKey: p.orderKey });
  if (existing) await em.update(OrderRefRow, { orderKey: p.orderKey }, values);
  else await em.insert(OrderRefRow, { orderKey: p.orderKey, ...values });
}

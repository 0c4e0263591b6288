import type { DataSource, EntityManager } from "typeorm";
import { consumeBuyerLinks } from "../kernel/buyer-links";
import { consumeOnce, type EventBus, type HubEvent, type OutboxRelay } from "../kernel/events";
import { parseGlobalId } from "../kernel/global-id";
import type { Channel } from "../kernel/types";
import type { OrderLineSnapshot } from "./domain";
import { OrderRefRow } from "./entities";

/** The part of order.created this subgraph reads. */
interface OrderCreated {
  orderKey: number;
  channel: Channel;
  currency: string;
  status: string;
  buyer: { channelCustomerId: string };
  lines: Array<{ lineKey: number; quantity: number; unitPriceMinor: number; discountMinor: number }>;
  totalMinor: number;
}

/**
 * Keeps the projections this subgraph needs: who owns which channel buyer, and each
 * order's lines, prices and status. consumeOnce makes a redelivered event a no-op.
 */
export function consume(ds: DataSource, bus: EventBus, _relay: OutboxRelay): void {
  consumeBuyerLinks(ds, bus, "aftersales.buyer-links");
  bus.subscribe(["order.created"], async (event) => {
    const p = event.payload as unknown as OrderCreated;
    await consumeOnce(ds, "aftersales.order-refs", event, (em) => upsertOrderRef(em, p, event.sequence));
  });
  bus.subscribe(["order.status_changed"], async (event) => {
    await consumeOnce(ds, "aftersales.order-status", event, (em) => updateStatus(em, event));
  });
}

async function upsertOrderRef(em: EntityManager, p: OrderCreated, sequence: number): Promise<void> {
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
  // A second order.created for the same order (a re-import) replaces the snapshot; the
  // status only if no newer status event has been seen.
  const existing = await em.findOneBy(OrderRefRow, { orderKey: p.orderKey });
  const status = { status: p.status, statusSequence: sequence };
  if (existing) await em.update(OrderRefRow, { orderKey: p.orderKey }, { ...values, ...(sequence > existing.statusSequence ? status : {}) });
  else await em.insert(OrderRefRow, { orderKey: p.orderKey, ...values, ...status });
}

/**
 * A status change of a known order. One for an order whose order.created has not
 * arrived cannot be kept (there is no snapshot to attach it to); order.created then
 * brings the status of that moment, and later changes bring the rest.
 */
async function updateStatus(em: EntityManager, event: HubEvent): Promise<void> {
  const to = (event.payload as { to?: unknown }).to;
  if (typeof to !== "string") return;
  const orderKey = parseGlobalId(event.aggregateId, "Order");
  await em
    .createQueryBuilder()
    .update(OrderRefRow)
    .set({ status: to, statusSequence: event.sequence })
    .where("orderKey = :orderKey AND statusSequence < :sequence", { orderKey, sequence: event.sequence })
    .execute();
}

import type { EntityManager } from "typeorm";
import { buyerLinkSubscriptions } from "../kernel/buyer-links";
import { insertUnlessPresent } from "../kernel/database";
import type { HubEvent, Subscription } from "../kernel/events";
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
 * order's lines, prices and status. Each is applied at most once per event.
 */
export function subscriptions(): Subscription[] {
  return [
    ...buyerLinkSubscriptions("aftersales.buyer-links"),
    { consumer: "aftersales.order-refs", types: ["order.created"], apply: (em, event) => upsertOrderRef(em, event.payload as unknown as OrderCreated, event.sequence) },
    // A snapshot (from the orders migration that backfills statuses) is a status like any other.
    { consumer: "aftersales.order-status", types: ["order.status_changed", "order.status_snapshot"], apply: updateStatus },
  ];
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
  // status only if no newer status event has been seen. The sequence is compared in SQL,
  // so a concurrent newer status is never overwritten by this older one.
  // The key tells a first order.created from a re-import (one statement, not a read and a
  // write); a concurrent first insert is waited for, and this one then updates it.
  if (await insertUnlessPresent(em, OrderRefRow, { orderKey: p.orderKey, ...values, status: p.status, statusSequence: sequence })) return;
  await em.update(OrderRefRow, { orderKey: p.orderKey }, values);
  await setStatusIfNewer(em, p.orderKey, p.status, sequence);
}

/** Sets the status unless a newer one (by the order's event sequence) is already kept; returns whether a row matched. */
async function setStatusIfNewer(em: EntityManager, orderKey: number, status: string, sequence: number): Promise<boolean> {
  const result = await em
    .createQueryBuilder()
    .update(OrderRefRow)
    .set({ status, statusSequence: sequence })
    .where("orderKey = :orderKey AND statusSequence < :sequence", { orderKey, sequence })
    .execute();
  return Boolean(result.affected);
}

/**
 * A status change (or snapshot) of an order. One for an order whose order.created has
 * not arrived yet cannot be kept (there is no snapshot to attach it to), and marking it
 * processed would lose it: it throws instead, so the delivery is held and retried (see
 * kernel/delivery), with the order's later statuses waiting behind it.
 */
async function updateStatus(em: EntityManager, event: HubEvent): Promise<void> {
  const payload = event.payload as { to?: unknown; status?: unknown };
  const status = event.type === "order.status_snapshot" ? payload.status : payload.to;
  if (typeof status !== "string") return;
  const orderKey = parseGlobalId(event.aggregateId, "Order");
  if (await setStatusIfNewer(em, orderKey, status, event.sequence)) return;
  // No row matched: either a newer status is already kept (done) or the order is unknown.
  if (await em.existsBy(OrderRefRow, { orderKey })) return;
  throw new Error(`${event.type} ${event.id} for ${event.aggregateId} arrived before its order.created; it will be delivered again.`);
}

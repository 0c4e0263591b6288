import type { DataSource } from "typeorm";
import { inTransaction } from "../kernel/database";
import { appendEvent } from "../kernel/events";
import { toGlobalId } from "../kernel/global-id";
import { OrderLineRow, OrderRow } from "./entities";
import { planOrder, type IncomingOrder } from "./intake";
import { orderNumber } from "./schema";

export const ORDER_CREATED = "order.created";

/**
 * Stores a new order with its lines and its order.created event in one transaction.
 * The same (channel, channelOrderId) twice stores one order: the repeat, even a
 * concurrent one, returns the stored row.
 */
export async function ingestOrder(ds: DataSource, input: IncomingOrder, actor: string): Promise<OrderRow> {
  const plan = planOrder(input);
  const find = () => ds.getRepository(OrderRow).findOneBy({ channel: plan.channel, channelOrderId: plan.channelOrderId });
  const existing = await find();
  if (existing) return existing;
  try {
    return await inTransaction(ds, async (em) => {
      const again = await em.findOneBy(OrderRow, { channel: plan.channel, channelOrderId: plan.channelOrderId });
      if (again) return again;
      const inserted = await em.insert(OrderRow, {
        channel: plan.channel,
        channelOrderId: plan.channelOrderId,
        status: plan.status,
        placedAt: plan.placedAt,
        buyerChannelCustomerId: plan.buyer.channelCustomerId,
        currency: plan.currency,
        subtotalMinor: plan.subtotalMinor,
        discountMinor: plan.discountMinor,
        shippingMinor: plan.shippingMinor,
        totalMinor: plan.totalMinor,
        shippingAddress: plan.shippingAddress,
        number: null,
      });
      const id = Number(inserted.identifiers[0].id);
      await em.update(OrderRow, { id }, { number: orderNumber(id) });
      const lines = plan.lines.map((l) => em.create(OrderLineRow, { ...l, orderId: id }));
      await em.insert(OrderLineRow, lines);
      const saved = await em.find(OrderLineRow, { where: { orderId: id }, order: { lineNo: "ASC" } });
      await appendEvent(em, {
        aggregateId: toGlobalId("Order", id),
        type: ORDER_CREATED,
        occurredAt: plan.placedAt,
        source: plan.channel.toLowerCase(),
        actor,
        payload: {
          orderKey: id,
          channel: plan.channel,
          channelOrderId: plan.channelOrderId,
          currency: plan.currency,
          status: plan.status,
          buyer: plan.buyer,
          lines: saved.map((l) => ({
            lineKey: l.id,
            channelSkuId: l.channelSkuId,
            quantity: l.quantity,
            unitPriceMinor: l.unitPriceMinor,
            discountMinor: l.discountMinor,
          })),
          totalMinor: plan.totalMinor,
          placedAt: plan.placedAt.toISOString(),
        },
      });
      return em.findOneByOrFail(OrderRow, { id });
    });
  } catch (err) {
    // A concurrent delivery of the same order won the unique key: answer with its row.
    const winner = await find();
    if (winner) return winner;
    throw err;
  }
}

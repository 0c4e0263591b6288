import type { DataSource } from "typeorm";
import type { Clock } from "../kernel/clock";
import { inTransaction } from "../kernel/database";
import { OrderRow } from "./entities";
import { planOrder, type IncomingOrder } from "./intake";
import { applyHeld } from "./channel-events";
import { createOrder } from "./order-service";

/**
 * Stores a new order (the ingestOrder mutation). The same (channel, channelOrderId)
 * twice stores one order: the repeat, even a concurrent one, returns the stored row.
 */
export async function ingestOrder(ds: DataSource, input: IncomingOrder, actor: string, clock: Clock = { now: () => new Date() }): Promise<OrderRow> {
  const plan = planOrder(input);
  const find = () => ds.getRepository(OrderRow).findOneBy({ channel: plan.channel, channelOrderId: plan.channelOrderId });
  const existing = await find();
  if (existing) return existing;
  try {
    return await inTransaction(ds, async (em) => {
      const again = await em.findOneBy(OrderRow, { channel: plan.channel, channelOrderId: plan.channelOrderId });
      if (again) return again;
      const id = await createOrder(em, plan, { source: plan.channel.toLowerCase(), actor }, clock);
      await applyHeld(em, id, plan.channel, plan.channelOrderId, clock);
      return em.findOneByOrFail(OrderRow, { id });
    });
  } catch (err) {
    // A concurrent delivery of the same order won the unique key: answer with its row.
    const winner = await find();
    if (winner) return winner;
    throw err;
  }
}

import type { DataSource } from "typeorm";
import { consumeOnce, type EventBus, type OutboxRelay } from "../kernel/events";
import type { Channel } from "../kernel/types";
import { registerIdentity } from "./identities";
import { toE164 } from "./phone";

/** The buyer of every new order becomes (or finds) a channel identity and a golden customer. */
export function consume(ds: DataSource, bus: EventBus, relay: OutboxRelay): void {
  bus.subscribe(["order.created"], async (event) => {
    const p = event.payload as { channel: Channel; buyer: { channelCustomerId: string; name?: string; phone?: string } };
    // A phone we cannot read must not block the order: the identity is kept without it.
    const phone = p.buyer.phone && toE164(p.buyer.phone) ? p.buyer.phone : null;
    await consumeOnce(ds, "customers.order-buyers", event, async (em) => {
      await registerIdentity(em, { channel: p.channel, channelCustomerId: p.buyer.channelCustomerId, name: p.buyer.name, phone }, "orders", null);
    });
    void relay.poke();
  });
}

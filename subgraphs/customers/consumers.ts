import type { DataSource, EntityManager } from "typeorm";
import type { Clock } from "../kernel/clock";
import { consumeOnce, type EventBus, type OutboxRelay } from "../kernel/events";
import type { Channel } from "../kernel/types";
import { buyerEvidence, type OrderBuyer } from "./buyer-evidence";
import { ChannelIdentityRow, SpendRow } from "./entities";
import { refreshGolden } from "./golden-record";
import { resolveIdentity } from "./identities";
import { matchConfig } from "./match-config";

interface OrderCreated extends OrderBuyer {
  orderKey: number;
  channel: Channel;
  currency: string;
  status: string;
  totalMinor: number;
}

/**
 * The buyer of every order is resolved to a golden customer (an order is when a
 * channel tells us about its customer), on the buyer's own data (buyerEvidence), and what the order is worth counts towards the
 * customer's lifetime paid amount, which sets the hub-wide tier.
 */
export function consume(ds: DataSource, bus: EventBus, relay: OutboxRelay, clock: Clock, env: Record<string, string | undefined>): void {
  const config = matchConfig(env);
  bus.subscribe(["order.created"], async (event) => {
    const p = event.payload as unknown as OrderCreated;
    await consumeOnce(ds, "customers.order-buyers", event, async (em) => {
      // The spend row first: resolving the buyer recomputes the golden record (tier) once, with it.
      if (!(await em.findOneBy(SpendRow, { orderKey: p.orderKey }))) {
        await em.insert(SpendRow, { orderKey: p.orderKey, channel: p.channel, channelCustomerId: p.buyer.channelCustomerId, currency: p.currency, totalMinor: p.totalMinor, paid: false, cancelled: false });
      }
      await resolveIdentity(
        em,
        // Evidence from the buyer's own data only: a gift's recipient is not the buyer.
        { channel: p.channel, channelCustomerId: p.buyer.channelCustomerId, ...buyerEvidence(p), observedAt: new Date(event.occurredAt) },
        { config, clock, source: "orders", actor: null, strict: false },
      );
    });
    void relay.poke();
  });

  bus.subscribe(["order.status_changed"], async (event) => {
    const p = event.payload as { to: string };
    if (p.to !== "PAID" && p.to !== "CANCELLED") return;
    const orderKey = Number(event.aggregateId.split("/").pop());
    await consumeOnce(ds, "customers.order-spend", event, async (em) => {
      const spend = await em.findOneBy(SpendRow, { orderKey });
      if (!spend) return;
      await em.update(SpendRow, { orderKey }, p.to === "PAID" ? { paid: true } : { cancelled: true });
      await refreshBuyer(em, spend);
    });
    void relay.poke();
  });
}

async function refreshBuyer(em: EntityManager, spend: SpendRow) {
  const identity = await em.findOneBy(ChannelIdentityRow, { channel: spend.channel as Channel, channelCustomerId: spend.channelCustomerId });
  if (identity) await refreshGolden(em, identity.customerId, { source: "orders", actor: null });
}

import type { EntityManager } from "typeorm";
import type { Clock } from "../kernel/clock";
import { insertUnlessPresent } from "../kernel/database";
import type { Subscription } from "../kernel/events";
import type { Channel } from "../kernel/types";
import { buyerEvidence, type OrderBuyer } from "./buyer-evidence";
import { ChannelIdentityRow, SpendRow } from "./entities";
import { refreshGolden } from "./golden-record";
import { applyIdentity } from "./identities";
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
export function subscriptions({ clock, env }: { clock: Clock; env: Record<string, string | undefined> }): Subscription[] {
  const config = matchConfig(env);
  const orderBuyers: Subscription = {
    consumer: "customers.order-buyers",
    types: ["order.created"],
    async apply(em, event) {
      const p = event.payload as unknown as OrderCreated;
      // The spend row first: resolving the buyer recomputes the golden record (tier) once, with it.
      // Its key says whether a re-import's row is there already: one statement, not a read and a write.
      await insertUnlessPresent(em, SpendRow, { orderKey: p.orderKey, channel: p.channel, channelCustomerId: p.buyer.channelCustomerId, currency: p.currency, totalMinor: p.totalMinor, paid: false, cancelled: false });
      await applyIdentity(
        em,
        // Evidence from the buyer's own data only: a gift's recipient is not the buyer.
        { channel: p.channel, channelCustomerId: p.buyer.channelCustomerId, ...buyerEvidence(p), observedAt: new Date(event.occurredAt) },
        { config, clock, source: "orders", actor: null, strict: false },
      );
    },
  };

  const orderSpend: Subscription = {
    consumer: "customers.order-spend",
    types: ["order.status_changed"],
    // Only paid and cancelled change what an order counts for: every other status change passes by.
    wants: (event) => countsForSpend(event.payload as { to: string }),
    async apply(em, event) {
      const p = event.payload as { to: string };
      if (!countsForSpend(p)) return;
      const orderKey = Number(event.aggregateId.split("/").pop());
      const spend = await em.findOneBy(SpendRow, { orderKey });
      if (!spend) return;
      await em.update(SpendRow, { orderKey }, p.to === "PAID" ? { paid: true } : { cancelled: true });
      await refreshBuyer(em, spend);
    },
  };
  return [orderBuyers, orderSpend];
}

const countsForSpend = (p: { to?: unknown } | null) => p?.to === "PAID" || p?.to === "CANCELLED";

async function refreshBuyer(em: EntityManager, spend: SpendRow) {
  const identity = await em.findOneBy(ChannelIdentityRow, { channel: spend.channel as Channel, channelCustomerId: spend.channelCustomerId });
  if (identity) await refreshGolden(em, identity.customerId, { source: "orders", actor: null });
}

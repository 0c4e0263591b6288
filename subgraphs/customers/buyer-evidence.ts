import type { IdentityInput } from "./identities";

/** What order.created says about who bought and where the parcel goes. */
export interface OrderBuyer {
  buyer: { channelCustomerId: string; name?: string | null; phone?: string | null; deviceFingerprint?: string | null };
  shippingAddress?: { province: string; city: string; district: string; detail: string; recipient?: string | null; phone?: string | null } | null;
  /** The channel stated that the recipient is the buyer. Absent on orders that did not say. */
  receiverIsBuyer?: boolean | null;
}

export type BuyerEvidence = Pick<IdentityInput, "name" | "phone" | "deviceFingerprint" | "address">;

/**
 * The identity evidence an order gives about its buyer. Pure.
 *
 * Only the buyer's own data counts: the account, and the name, phone and device the
 * channel gives for the buyer. The shipping address and its recipient are a delivery
 * contact: a gift's recipient is another person, and reading them as the buyer would
 * link (and could merge) the two. They count only when the channel says the recipient is
 * the buyer, and then only as a weak signal: they fill in what the buyer's own data lack
 * and never replace it.
 */
export function buyerEvidence(order: OrderBuyer): BuyerEvidence {
  const own = order.buyer;
  const receiver = order.receiverIsBuyer === true ? (order.shippingAddress ?? null) : null;
  return {
    name: own.name || receiver?.recipient || null,
    phone: own.phone || receiver?.phone || null,
    deviceFingerprint: own.deviceFingerprint || null,
    address: receiver ? { province: receiver.province, city: receiver.city, district: receiver.district, detail: receiver.detail } : null,
  };
}

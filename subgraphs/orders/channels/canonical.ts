/**
 * The one event shape every channel adapter produces, and the shape the `web`
 * channel sends as it is. Times are ISO-8601 strings WITH an offset once adapted;
 * amounts are decimal strings in the order currency.
 */
export const CANONICAL_TYPES = [
  "order.created",
  "order.updated",
  "order.paid",
  "order.shipped",
  "order.delivered",
  "order.cancelled",
  "order.refunded",
] as const;
export type CanonicalType = (typeof CANONICAL_TYPES)[number];

export interface CanonicalAddress {
  province: string;
  city: string;
  district: string;
  detail: string;
}

/**
 * Who bought: the buyer's account on the channel, with the buyer's OWN name and phone
 * where the channel gives them. This is the identity evidence customers resolves. Never
 * fill it from the receiver: a gift's receiver is someone else.
 */
export interface CanonicalBuyer {
  channelCustomerId: string;
  name?: string | null;
  phone?: string | null;
  deviceFingerprint?: string | null;
}

/**
 * Where the parcel goes: a delivery contact, kept on the order, not evidence of who the
 * buyer is. Only when the channel states that the receiver is the buyer (`isBuyer`) does
 * customers read it, as a weak signal that fills in what the buyer's own data lack.
 */
export interface CanonicalReceiver {
  name?: string | null;
  phone?: string | null;
  address: CanonicalAddress;
  /** True only when the channel says so; marketplaces never do, so their receivers never count. */
  isBuyer?: boolean;
}

export interface CanonicalLine {
  channelSkuId: string;
  title?: string | null;
  quantity: number;
  unitPrice: string;
  discount?: string | null;
}

export interface CanonicalOrder {
  channelOrderId: string;
  currency?: string;
  /** When the buyer placed the order; defaults to the event's occurredAt for order.created. */
  placedAt?: string | null;
  buyer?: CanonicalBuyer;
  receiver?: CanonicalReceiver;
  lines?: CanonicalLine[];
  shippingFee?: string | null;
  couponDiscount?: string | null;
  promisedDeliveryBy?: string | null;
}

export interface CanonicalEvent {
  /** The channel's own event id: the same id twice is one event. */
  eventId: string;
  type: CanonicalType;
  /** When it happened at the source, ISO-8601 with offset. */
  occurredAt: string;
  order: CanonicalOrder;
  payment?: { paidAt?: string | null; amount?: string | null; method?: string | null; transactionId?: string | null } | null;
  shipment?: { carrier: string; trackingNumber: string } | null;
}

/** What an adapter needs besides the payload: the zone the channel declared, if any. */
export interface AdapterContext {
  /** IANA zone for times without an offset (e.g. "Asia/Shanghai"); undefined if the channel declared none. */
  channelZone?: string;
}

/** An adapter turns one native payload into one or more canonical events (in order), or throws BAD_USER_INPUT. */
export type ChannelAdapter = (payload: unknown, ctx: AdapterContext) => CanonicalEvent[];

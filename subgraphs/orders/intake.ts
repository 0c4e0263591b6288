import { assertCount, assertMinor, assertQuantity, charLength, MAX_LINES, MAX_MINOR, optionalText, requiredText, TEXT_LIMITS } from "../kernel/bounds";
import { badInput } from "../kernel/errors";
import { parseInstant, parseRequiredInstant } from "../kernel/instant";
import { allocate, assertCurrency, parseDecimal } from "../kernel/money";
import type { Channel } from "../kernel/types";
import type { CanonicalEvent, CanonicalOrder } from "./channels/canonical";
import type { AddressSnapshot } from "./entities";
import { OrderStatus } from "./status";

/**
 * Turns an incoming order (decimal strings, an ISO time) into what the hub stores
 * (minor units, a UTC instant, computed totals), with every value bounded to its column
 * (kernel/bounds.ts). Pure: no database, no GraphQL.
 *
 * The buyer is who bought (the account, with the buyer's own name and phone); the
 * shipping address, with its recipient and phone, is a delivery contact. The receiver is
 * evidence of who the buyer is only when the channel says so (`receiverIsBuyer`): a gift
 * goes to someone else.
 */
export interface IncomingOrder {
  channel: Channel;
  channelOrderId: string;
  placedAt: string;
  currency: string;
  status?: OrderStatus | null;
  buyer: { channelCustomerId: string; name?: string | null; phone?: string | null; deviceFingerprint?: string | null };
  shippingAddress?: AddressSnapshot | null;
  /** The channel states that the recipient of shippingAddress is the buyer. Default false. */
  receiverIsBuyer?: boolean | null;
  shippingFee?: string | null;
  /** An order-level discount, spread over the lines by their amounts. */
  couponDiscount?: string | null;
  promisedDeliveryBy?: string | null;
  lines: Array<{ channelSkuId: string; title?: string | null; quantity: number; unitPrice: string; discount?: string | null }>;
}

export interface PlannedOrder {
  channel: Channel;
  channelOrderId: string;
  placedAt: Date;
  currency: string;
  status: OrderStatus;
  buyer: { channelCustomerId: string; name: string | null; phone: string | null; deviceFingerprint: string | null };
  shippingAddress: AddressSnapshot | null;
  receiverIsBuyer: boolean;
  promisedDeliveryBy: Date | null;
  lines: Array<{ lineNo: number; channelSkuId: string; title: string; quantity: number; unitPriceMinor: number; discountMinor: number }>;
  subtotalMinor: number;
  discountMinor: number;
  shippingMinor: number;
  totalMinor: number;
}

const INITIAL_STATUSES = [OrderStatus.PENDING_PAYMENT, OrderStatus.PAID];

/** A display title, shortened (not refused) to its column: it is a snapshot, not a key. */
function titleOf(title: string | null | undefined, sku: string): string {
  const t = title?.trim() || sku;
  return charLength(t) > TEXT_LIMITS.title ? [...t].slice(0, TEXT_LIMITS.title).join("") : t;
}

function shippingAddressOf(a: AddressSnapshot | null | undefined): AddressSnapshot | null {
  if (!a) return null;
  const f = "shippingAddress";
  return {
    province: requiredText(a.province, `${f}.province`, "region"),
    city: requiredText(a.city, `${f}.city`, "region"),
    district: optionalText(a.district, `${f}.district`, "region") ?? "",
    detail: requiredText(a.detail, `${f}.detail`, "addressDetail"),
    ...(a.recipient?.trim() ? { recipient: optionalText(a.recipient, `${f}.recipient`, "personName") } : {}),
    ...(a.phone?.trim() ? { phone: optionalText(a.phone, `${f}.phone`, "phone") } : {}),
  };
}

export function planOrder(input: IncomingOrder): PlannedOrder {
  const currency = assertCurrency(input.currency);
  const status = input.status ?? OrderStatus.PENDING_PAYMENT;
  if (!INITIAL_STATUSES.includes(status)) {
    throw badInput(`A new order starts as ${INITIAL_STATUSES.join(" or ")}, not ${status}.`, { field: "status" });
  }
  if (input.lines.length === 0) throw badInput(`An order needs 1 to ${MAX_LINES} lines.`, { field: "lines" });
  assertCount(input.lines, "lines", MAX_LINES, 1);
  const lines = input.lines.map((l, i) => {
    const field = `lines[${i}]`;
    const quantity = assertQuantity(l.quantity, `${field}.quantity`);
    const unitPriceMinor = parseDecimal(l.unitPrice, currency, `${field}.unitPrice`);
    const discountMinor = l.discount ? parseDecimal(l.discount, currency, `${field}.discount`) : 0;
    if (unitPriceMinor < 0) throw badInput(`${field}.unitPrice must not be negative.`, { field: `${field}.unitPrice` });
    assertMinor(unitPriceMinor, `${field}.unitPrice`);
    // The line amount is stored (as subtotal and refund basis) in the same INT columns.
    assertMinor(unitPriceMinor * quantity, `${field}.unitPrice`);
    if (discountMinor < 0 || discountMinor > unitPriceMinor * quantity) {
      throw badInput(`${field}.discount must be between 0 and the line amount.`, { field: `${field}.discount` });
    }
    const channelSkuId = requiredText(l.channelSkuId, `${field}.channelSkuId`, "channelSkuId");
    return { lineNo: i + 1, channelSkuId, title: titleOf(l.title, channelSkuId), quantity, unitPriceMinor, discountMinor };
  });
  // A coupon is spread over the lines by largest remainder, so each line's refundable
  // amount is exact and the parts add up to the coupon.
  const couponMinor = input.couponDiscount ? parseDecimal(input.couponDiscount, currency, "couponDiscount") : 0;
  const netOf = (l: (typeof lines)[number]) => l.unitPriceMinor * l.quantity - l.discountMinor;
  if (couponMinor < 0 || couponMinor > lines.reduce((sum, l) => sum + netOf(l), 0)) {
    throw badInput("couponDiscount must be between 0 and the order's line amounts.", { field: "couponDiscount" });
  }
  allocate(couponMinor, lines.map(netOf)).forEach((share, i) => (lines[i].discountMinor += share));
  const shippingMinor = input.shippingFee ? parseDecimal(input.shippingFee, currency, "shippingFee") : 0;
  if (shippingMinor < 0) throw badInput("shippingFee must not be negative.", { field: "shippingFee" });
  assertMinor(shippingMinor, "shippingFee");
  const subtotalMinor = lines.reduce((sum, l) => sum + l.unitPriceMinor * l.quantity, 0);
  const discountMinor = lines.reduce((sum, l) => sum + l.discountMinor, 0);
  const totalMinor = subtotalMinor - discountMinor + shippingMinor;
  if (subtotalMinor > MAX_MINOR || totalMinor > MAX_MINOR) {
    throw badInput(`The order total is too large: at most ${MAX_MINOR} minor units.`, { field: "lines" });
  }

  return {
    channel: input.channel,
    channelOrderId: requiredText(input.channelOrderId, "channelOrderId", "channelOrderId"),
    placedAt: parseRequiredInstant(input.placedAt, "placedAt"),
    currency,
    status,
    buyer: {
      channelCustomerId: requiredText(input.buyer.channelCustomerId, "buyer.channelCustomerId", "channelCustomerId"),
      name: optionalText(input.buyer.name, "buyer.name", "personName"),
      phone: optionalText(input.buyer.phone, "buyer.phone", "phone"),
      deviceFingerprint: optionalText(input.buyer.deviceFingerprint, "buyer.deviceFingerprint", "deviceFingerprint"),
    },
    shippingAddress: shippingAddressOf(input.shippingAddress),
    receiverIsBuyer: input.receiverIsBuyer === true && !!input.shippingAddress,
    promisedDeliveryBy: input.promisedDeliveryBy ? parseInstant(input.promisedDeliveryBy, "promisedDeliveryBy") : null,
    lines,
    subtotalMinor,
    discountMinor,
    shippingMinor,
    totalMinor,
  };
}

/** Where a canonical order ships: its receiver, as a delivery contact. */
export function shippingOf(order: CanonicalOrder): AddressSnapshot | null {
  const r = order.receiver;
  if (r) return { ...r.address, ...(r.name ? { recipient: r.name } : {}), ...(r.phone ? { phone: r.phone } : {}) };
  // Events stored before receivers were their own part carried the address on the buyer.
  return (order.buyer as { address?: AddressSnapshot } | undefined)?.address ?? null;
}

/** The order a channel's order.created event describes, for planOrder. */
export function incomingFromEvent(channel: Channel, channelOrderId: string, event: CanonicalEvent): IncomingOrder {
  return {
    channel,
    channelOrderId,
    placedAt: event.order.placedAt ?? event.occurredAt,
    currency: event.order.currency ?? "",
    status: event.payment ? OrderStatus.PAID : OrderStatus.PENDING_PAYMENT,
    buyer: event.order.buyer ?? { channelCustomerId: "" },
    shippingAddress: shippingOf(event.order),
    receiverIsBuyer: event.order.receiver?.isBuyer === true,
    shippingFee: event.order.shippingFee,
    couponDiscount: event.order.couponDiscount,
    promisedDeliveryBy: event.order.promisedDeliveryBy,
    lines: event.order.lines ?? [],
  };
}

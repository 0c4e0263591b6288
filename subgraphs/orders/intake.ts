import { badInput } from "../kernel/errors";
import { allocate, assertCurrency, parseDecimal } from "../kernel/money";
import { parseInstant } from "../kernel/time-window";
import type { Channel } from "../kernel/types";
import type { AddressSnapshot } from "./entities";
import { OrderStatus } from "./status";

/**
 * Turns an incoming order (decimal strings, an ISO time) into what the hub stores
 * (minor units, a UTC instant, computed totals). Pure: no database, no GraphQL.
 */
export interface IncomingOrder {
  channel: Channel;
  channelOrderId: string;
  placedAt: string;
  currency: string;
  status?: OrderStatus | null;
  buyer: { channelCustomerId: string; name?: string | null; phone?: string | null; deviceFingerprint?: string | null };
  shippingAddress?: AddressSnapshot | null;
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
  promisedDeliveryBy: Date | null;
  lines: Array<{ lineNo: number; channelSkuId: string; title: string; quantity: number; unitPriceMinor: number; discountMinor: number }>;
  subtotalMinor: number;
  discountMinor: number;
  shippingMinor: number;
  totalMinor: number;
}

const MAX_LINES = 500;
const MAX_QUANTITY = 100_000;
const INITIAL_STATUSES = [OrderStatus.PENDING_PAYMENT, OrderStatus.PAID];

function requiredText(value: string | null | undefined, field: string, max: number): string {
  const v = value?.trim() ?? "";
  if (!v || v.length > max) throw badInput(`${field} must be 1 to ${max} characters.`, { field });
  return v;
}

export function planOrder(input: IncomingOrder): PlannedOrder {
  const currency = assertCurrency(input.currency);
  const status = input.status ?? OrderStatus.PENDING_PAYMENT;
  if (!INITIAL_STATUSES.includes(status)) {
    throw badInput(`A new order starts as ${INITIAL_STATUSES.join(" or ")}, not ${status}.`, { field: "status" });
  }
  if (input.lines.length === 0 || input.lines.length > MAX_LINES) {
    throw badInput(`An order needs 1 to ${MAX_LINES} lines.`, { field: "lines" });
  }
  const lines = input.lines.map((l, i) => {
    const field = `lines[${i}]`;
    if (!Number.isInteger(l.quantity) || l.quantity < 1 || l.quantity > MAX_QUANTITY) {
      throw badInput(`${field}.quantity must be a whole number from 1 to ${MAX_QUANTITY}, got ${l.quantity}.`, { field: `${field}.quantity` });
    }
    const unitPriceMinor = parseDecimal(l.unitPrice, currency, `${field}.unitPrice`);
    const discountMinor = l.discount ? parseDecimal(l.discount, currency, `${field}.discount`) : 0;
    if (unitPriceMinor < 0) throw badInput(`${field}.unitPrice must not be negative.`, { field: `${field}.unitPrice` });
    if (discountMinor < 0 || discountMinor > unitPriceMinor * l.quantity) {
      throw badInput(`${field}.discount must be between 0 and the line amount.`, { field: `${field}.discount` });
    }
    return {
      lineNo: i + 1,
      channelSkuId: requiredText(l.channelSkuId, `${field}.channelSkuId`, 100),
      title: (l.title?.trim() || l.channelSkuId.trim()).slice(0, 200),
      quantity: l.quantity,
      unitPriceMinor,
      discountMinor,
    };
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
  const subtotalMinor = lines.reduce((sum, l) => sum + l.unitPriceMinor * l.quantity, 0);
  const discountMinor = lines.reduce((sum, l) => sum + l.discountMinor, 0);
  const totalMinor = subtotalMinor - discountMinor + shippingMinor;
  if (!Number.isSafeInteger(totalMinor) || totalMinor > 2_000_000_000) throw badInput("The order total is too large.", { field: "lines" });

  return {
    channel: input.channel,
    channelOrderId: requiredText(input.channelOrderId, "channelOrderId", 100),
    placedAt: parseInstant(input.placedAt, "placedAt"),
    currency,
    status,
    buyer: {
      channelCustomerId: requiredText(input.buyer.channelCustomerId, "buyer.channelCustomerId", 100),
      name: input.buyer.name?.trim() || null,
      phone: input.buyer.phone?.trim() || null,
      deviceFingerprint: input.buyer.deviceFingerprint?.trim() || null,
    },
    shippingAddress: input.shippingAddress ?? null,
    promisedDeliveryBy: input.promisedDeliveryBy ? parseInstant(input.promisedDeliveryBy, "promisedDeliveryBy") : null,
    lines,
    subtotalMinor,
    discountMinor,
    shippingMinor,
    totalMinor,
  };
}

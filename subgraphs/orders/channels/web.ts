/**
 * Own web store adapter. The web store sends canonical events as they are (see canonical.ts):
 *
 *   { "eventId": string, "type": "order.created" | ... , "occurredAt": ISO-8601 with offset,
 *     "order": { "channelOrderId": string, "currency"?, "placedAt"?,
 *                "buyer"?: { "channelCustomerId", "name"?, "phone"?, "deviceFingerprint"?, "address"? },
 *                "receiver"?: { "name"?, "phone"?, "address": { "province", "city", "district", "detail" }, "isBuyer"?: boolean },
 *                "lines"?: [{ "channelSkuId", "title"?, "quantity": int, "unitPrice": "99.00", "discount"? }],
 *                "shippingFee"?, "couponDiscount"?, "promisedDeliveryBy"? },
 *     "payment"?: { "paidAt"?, "amount"?, "method"?, "transactionId"? }, "shipment"?: { "carrier", "trackingNumber" } }
 *
 * The adapter checks the shape and normalizes every time to UTC "Z". Times must carry an
 * offset unless the channel declared a zone (ctx.channelZone). order.created needs currency,
 * buyer.channelCustomerId and at least one line; its placedAt defaults to occurredAt. Other
 * types need only order.channelOrderId, but any order fields they do send are checked the same
 * way. Unknown fields are dropped, not refused; absent and null optional fields are left out.
 *
 * buyer is the shopper's account with their own name and phone (identity evidence).
 * receiver is where the parcel goes; it is evidence of the buyer only with "isBuyer": true
 * (the store knows when a shopper ships to themselves). An order with buyer.address and no
 * receiver (the older format) ships to the buyer's own address: the receiver is the buyer.
 * Sending both is refused, as it would say two things about one address.
 */
import { badInput } from "../../kernel/errors";
import type { AdapterContext, CanonicalAddress, CanonicalBuyer, CanonicalEvent, CanonicalLine, CanonicalOrder, CanonicalReceiver, ChannelAdapter } from "./canonical";
import { CANONICAL_TYPES } from "./canonical";
import { arr, compact, decimal, idStr, obj, oneOf, optDecimal, optObj, optStr, quantity, str, text } from "./shape";
import { optUtcIso, toUtcIso } from "./time";

function lines(value: unknown): CanonicalLine[] {
  return arr(value, "order.lines").map((raw, i) => {
    const f = `order.lines[${i}]`;
    const l = obj(raw, f);
    return compact({
      channelSkuId: str(l.channelSkuId, `${f}.channelSkuId`, "channelSkuId"),
      title: optStr(l.title, `${f}.title`),
      quantity: quantity(l.quantity, `${f}.quantity`),
      unitPrice: decimal(l.unitPrice, `${f}.unitPrice`),
      discount: optDecimal(l.discount, `${f}.discount`),
    });
  });
}

function address(value: unknown, field: string): CanonicalAddress {
  const a = obj(value, field);
  return {
    province: str(a.province, `${field}.province`, "region"),
    city: str(a.city, `${field}.city`, "region"),
    district: text(a.district, `${field}.district`, "region"),
    detail: str(a.detail, `${field}.detail`, "addressDetail"),
  };
}

function buyer(value: unknown): CanonicalBuyer {
  const b = obj(value, "order.buyer");
  return compact({
    channelCustomerId: str(b.channelCustomerId, "order.buyer.channelCustomerId", "channelCustomerId"),
    name: optStr(b.name, "order.buyer.name", "personName"),
    phone: optStr(b.phone, "order.buyer.phone", "phone"),
    deviceFingerprint: optStr(b.deviceFingerprint, "order.buyer.deviceFingerprint", "deviceFingerprint"),
  });
}

/** The delivery contact: order.receiver, or (older format) the buyer's own address. */
function receiver(o: Record<string, unknown>, b: CanonicalBuyer | undefined): CanonicalReceiver | undefined {
  const own = o.buyer != null ? optObj(obj(o.buyer, "order.buyer").address, "order.buyer.address") : undefined;
  const r = optObj(o.receiver, "order.receiver");
  if (r && own) throw badInput("Send the delivery address once: order.receiver, or order.buyer.address when the buyer receives it, not both.", { field: "order.buyer.address" });
  if (own) return compact({ name: b?.name, phone: b?.phone, address: address(own, "order.buyer.address"), isBuyer: true });
  if (!r) return undefined;
  if (r.isBuyer != null && typeof r.isBuyer !== "boolean") throw badInput("order.receiver.isBuyer must be true or false.", { field: "order.receiver.isBuyer" });
  return compact({
    name: optStr(r.name, "order.receiver.name", "personName"),
    phone: optStr(r.phone, "order.receiver.phone", "phone"),
    address: address(r.address, "order.receiver.address"),
    isBuyer: r.isBuyer === true ? true : undefined,
  });
}

export const webAdapter: ChannelAdapter = (payload: unknown, ctx: AdapterContext): CanonicalEvent[] => {
  const p = obj(payload, "payload");
  const zone = ctx.channelZone;
  const eventId = str(p.eventId, "eventId", "eventId");
  const type = oneOf(p.type, "type", CANONICAL_TYPES);
  const occurredAt = toUtcIso(p.occurredAt, "occurredAt", zone);
  const o = obj(p.order, "order");
  const created = type === "order.created";

  const theBuyer = created || o.buyer != null ? buyer(o.buyer) : undefined;
  const order: CanonicalOrder = compact({
    channelOrderId: idStr(o.channelOrderId, "order.channelOrderId", "channelOrderId"),
    currency: created ? str(o.currency, "order.currency", 3) : optStr(o.currency, "order.currency", 3),
    placedAt: optUtcIso(o.placedAt, "order.placedAt", zone) ?? (created ? occurredAt : undefined),
    buyer: theBuyer,
    receiver: receiver(o, theBuyer),
    lines: created || o.lines != null ? lines(o.lines) : undefined,
    shippingFee: optDecimal(o.shippingFee, "order.shippingFee"),
    couponDiscount: optDecimal(o.couponDiscount, "order.couponDiscount"),
    promisedDeliveryBy: optUtcIso(o.promisedDeliveryBy, "order.promisedDeliveryBy", zone),
  });

  const event: CanonicalEvent = { eventId, type, occurredAt, order };
  const pay = optObj(p.payment, "payment");
  if (pay) {
    event.payment = compact({
      paidAt: optUtcIso(pay.paidAt, "payment.paidAt", zone),
      amount: optDecimal(pay.amount, "payment.amount"),
      method: optStr(pay.method, "payment.method", "reference"),
      transactionId: optStr(pay.transactionId, "payment.transactionId", "reference"),
    });
  }
  const ship = optObj(p.shipment, "shipment");
  if (ship) {
    event.shipment = {
      carrier: str(ship.carrier, "shipment.carrier", "reference"),
      trackingNumber: str(ship.trackingNumber, "shipment.trackingNumber", "reference"),
    };
  }
  return [event];
};

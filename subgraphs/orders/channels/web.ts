/**
 * Own web store adapter. The web store sends canonical events as they are (see canonical.ts):
 *
 *   { "eventId": string, "type": "order.created" | ... , "occurredAt": ISO-8601 with offset,
 *     "order": { "channelOrderId": string, "currency"?, "placedAt"?, "buyer"?: { "channelCustomerId", "name"?,
 *                "phone"?, "deviceFingerprint"?, "address"?: { "province", "city", "district", "detail" } },
 *                "lines"?: [{ "channelSkuId", "title"?, "quantity": int, "unitPrice": "99.00", "discount"? }],
 *                "shippingFee"?, "couponDiscount"?, "promisedDeliveryBy"? },
 *     "payment"?: { "paidAt"?, "amount"?, "method"?, "transactionId"? }, "shipment"?: { "carrier", "trackingNumber" } }
 *
 * The adapter checks the shape and normalizes every time to UTC "Z". Times must carry an
 * offset unless the channel declared a zone (ctx.channelZone). order.created needs currency,
 * buyer.channelCustomerId and at least one line; its placedAt defaults to occurredAt. Other
 * types need only order.channelOrderId, but any order fields they do send are checked the same
 * way. Unknown fields are dropped, not refused; absent and null optional fields are left out.
 */
import type { AdapterContext, CanonicalBuyer, CanonicalEvent, CanonicalLine, CanonicalOrder, ChannelAdapter } from "./canonical";
import { CANONICAL_TYPES } from "./canonical";
import { arr, compact, decimal, idStr, obj, oneOf, optDecimal, optObj, optStr, quantity, str, text } from "./shape";
import { optUtcIso, toUtcIso } from "./time";

function lines(value: unknown): CanonicalLine[] {
  return arr(value, "order.lines").map((raw, i) => {
    const f = `order.lines[${i}]`;
    const l = obj(raw, f);
    return compact({
      channelSkuId: str(l.channelSkuId, `${f}.channelSkuId`),
      title: optStr(l.title, `${f}.title`),
      quantity: quantity(l.quantity, `${f}.quantity`),
      unitPrice: decimal(l.unitPrice, `${f}.unitPrice`),
      discount: optDecimal(l.discount, `${f}.discount`),
    });
  });
}

function buyer(value: unknown): CanonicalBuyer {
  const b = obj(value, "order.buyer");
  const a = optObj(b.address, "order.buyer.address");
  return compact({
    channelCustomerId: str(b.channelCustomerId, "order.buyer.channelCustomerId"),
    name: optStr(b.name, "order.buyer.name"),
    phone: optStr(b.phone, "order.buyer.phone"),
    deviceFingerprint: optStr(b.deviceFingerprint, "order.buyer.deviceFingerprint"),
    address: a && {
      province: str(a.province, "order.buyer.address.province"),
      city: str(a.city, "order.buyer.address.city"),
      district: text(a.district, "order.buyer.address.district"),
      detail: str(a.detail, "order.buyer.address.detail"),
    },
  });
}

export const webAdapter: ChannelAdapter = (payload: unknown, ctx: AdapterContext): CanonicalEvent[] => {
  const p = obj(payload, "payload");
  const zone = ctx.channelZone;
  const eventId = str(p.eventId, "eventId");
  const type = oneOf(p.type, "type", CANONICAL_TYPES);
  const occurredAt = toUtcIso(p.occurredAt, "occurredAt", zone);
  const o = obj(p.order, "order");
  const created = type === "order.created";

  const order: CanonicalOrder = compact({
    channelOrderId: idStr(o.channelOrderId, "order.channelOrderId"),
    currency: created ? str(o.currency, "order.currency") : optStr(o.currency, "order.currency"),
    placedAt: optUtcIso(o.placedAt, "order.placedAt", zone) ?? (created ? occurredAt : undefined),
    buyer: created || o.buyer != null ? buyer(o.buyer) : undefined,
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
      method: optStr(pay.method, "payment.method"),
      transactionId: optStr(pay.transactionId, "payment.transactionId"),
    });
  }
  const ship = optObj(p.shipment, "shipment");
  if (ship) {
    event.shipment = {
      carrier: str(ship.carrier, "shipment.carrier"),
      trackingNumber: str(ship.trackingNumber, "shipment.trackingNumber"),
    };
  }
  return [event];
};

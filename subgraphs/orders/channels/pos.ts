/**
 * Offline POS adapter. Native format, one message per receipt from the store's till system:
 *
 *   { "eventId": string, "kind": "SALE" | "VOID",
 *     "store": { "code": string, "timezone"?: IANA zone },
 *     "receipt": { "number": string|number, "time": "2026-11-01T20:15:00" (local, no offset),
 *                  "currency": "CNY", "member"?: { "cardNo", "name"?, "mobile"? },
 *                  "items": [{ "barcode", "name", "qty": int, "price": "12.50", "discount"?: "0.00" }] } }
 *
 * receipt.time is the till's wall clock, read in store.timezone, else ctx.channelZone; with
 * neither it is refused (unless the time carries its own offset).
 *
 * Kind -> canonical (occurredAt = receipt.time):
 *   SALE -> two events, in order: order.created (full order, payment.paidAt = receipt.time),
 *           eventId = eventId; and order.delivered, eventId = `${eventId}:delivered`
 *           (paid and handed over at the till).
 *   VOID -> order.cancelled (only store.code, receipt.number and receipt.time are needed).
 * channelOrderId = `${store.code}-${receipt.number}`. Buyer: the member card number with the
 * member's own name and mobile (the member's data, so identity evidence), or
 * "walk-in:<store code>" without a member. No address, no shipping fee. discount is the line's
 * total discount. currency is passed on for intake to check.
 */
import { TEXT_LIMITS } from "../../kernel/bounds";
import type { AdapterContext, CanonicalEvent, CanonicalLine, ChannelAdapter } from "./canonical";
import { arr, compact, event, idStr, obj, oneOf, optDiscount, optObj, optStr, quantity, decimal, str } from "./shape";
import { toUtcIso } from "./time";

const KINDS = ["SALE", "VOID"] as const;
const DELIVERED = ":delivered";
/** A store code and a receipt number make the channel order id, so together they fit its column. */
const STORE_CODE_LIMIT = 30;

function lines(value: unknown): CanonicalLine[] {
  return arr(value, "receipt.items").map((raw, i) => {
    const f = `receipt.items[${i}]`;
    const item = obj(raw, f);
    return compact({
      channelSkuId: idStr(item.barcode, `${f}.barcode`, "channelSkuId"),
      title: optStr(item.name, `${f}.name`),
      quantity: quantity(item.qty, `${f}.qty`),
      unitPrice: decimal(item.price, `${f}.price`),
      discount: optDiscount(item.discount, `${f}.discount`),
    });
  });
}

export const posAdapter: ChannelAdapter = (payload: unknown, ctx: AdapterContext): CanonicalEvent[] => {
  const p = obj(payload, "payload");
  // Room for the ":delivered" suffix of the second event.
  const eventId = str(p.eventId, "eventId", TEXT_LIMITS.eventId - DELIVERED.length);
  const kind = oneOf(p.kind, "kind", KINDS);
  const store = obj(p.store, "store");
  const storeCode = idStr(store.code, "store.code", STORE_CODE_LIMIT);
  const storeZone = optStr(store.timezone, "store.timezone", 64);
  const r = obj(p.receipt, "receipt");
  const channelOrderId = `${storeCode}-${idStr(r.number, "receipt.number", TEXT_LIMITS.channelOrderId - STORE_CODE_LIMIT - 1)}`;
  const occurredAt = toUtcIso(r.time, "receipt.time", storeZone ?? ctx.channelZone, {
    zoneField: storeZone !== undefined ? "store.timezone" : "channelZone",
    missingZoneHint: "Send store.timezone (e.g. \"Asia/Shanghai\") with the receipt, or declare the channel's time zone.",
  });

  if (kind === "VOID") return [event(eventId, "order.cancelled", occurredAt, { channelOrderId })];

  const member = optObj(r.member, "receipt.member");
  const order = {
    channelOrderId,
    currency: str(r.currency, "receipt.currency", 3),
    placedAt: occurredAt,
    buyer: member
      ? compact({
          channelCustomerId: idStr(member.cardNo, "receipt.member.cardNo", "channelCustomerId"),
          name: optStr(member.name, "receipt.member.name", "personName"),
          phone: optStr(member.mobile, "receipt.member.mobile", "phone"),
        })
      : { channelCustomerId: `walk-in:${storeCode}` },
    lines: lines(r.items),
  };
  return [
    event(eventId, "order.created", occurredAt, order, { payment: { paidAt: occurredAt } }),
    event(`${eventId}${DELIVERED}`, "order.delivered", occurredAt, { channelOrderId }),
  ];
};

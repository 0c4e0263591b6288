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
 * channelOrderId = `${store.code}-${receipt.number}`. Buyer: the member card number, or
 * "walk-in:<store code>" without a member. No address, no shipping fee. discount is the line's
 * total discount. currency is passed on for intake to check.
 */
import type { AdapterContext, CanonicalEvent, CanonicalLine, ChannelAdapter } from "./canonical";
import { arr, compact, event, idStr, obj, oneOf, optDiscount, optObj, optStr, quantity, decimal, str } from "./shape";
import { toUtcIso } from "./time";

const KINDS = ["SALE", "VOID"] as const;

function lines(value: unknown): CanonicalLine[] {
  return arr(value, "receipt.items").map((raw, i) => {
    const f = `receipt.items[${i}]`;
    const item = obj(raw, f);
    return compact({
      channelSkuId: idStr(item.barcode, `${f}.barcode`),
      title: optStr(item.name, `${f}.name`),
      quantity: quantity(item.qty, `${f}.qty`),
      unitPrice: decimal(item.price, `${f}.price`),
      discount: optDiscount(item.discount, `${f}.discount`),
    });
  });
}

export const posAdapter: ChannelAdapter = (payload: unknown, ctx: AdapterContext): CanonicalEvent[] => {
  const p = obj(payload, "payload");
  const eventId = str(p.eventId, "eventId");
  const kind = oneOf(p.kind, "kind", KINDS);
  const store = obj(p.store, "store");
  const storeCode = idStr(store.code, "store.code");
  const storeZone = optStr(store.timezone, "store.timezone")?.trim();
  const r = obj(p.receipt, "receipt");
  const channelOrderId = `${storeCode}-${idStr(r.number, "receipt.number")}`;
  const occurredAt = toUtcIso(r.time, "receipt.time", storeZone ?? ctx.channelZone, {
    zoneField: storeZone !== undefined ? "store.timezone" : "channelZone",
    missingZoneHint: "Send store.timezone (e.g. \"Asia/Shanghai\") with the receipt, or declare the channel's time zone.",
  });

  if (kind === "VOID") return [event(eventId, "order.cancelled", occurredAt, { channelOrderId })];

  const member = optObj(r.member, "receipt.member");
  const order = {
    channelOrderId,
    currency: str(r.currency, "receipt.currency").trim(),
    placedAt: occurredAt,
    buyer: member
      ? compact({
          channelCustomerId: idStr(member.cardNo, "receipt.member.cardNo"),
          name: optStr(member.name, "receipt.member.name")?.trim(),
          phone: optStr(member.mobile, "receipt.member.mobile")?.trim(),
        })
      : { channelCustomerId: `walk-in:${storeCode}` },
    lines: lines(r.items),
  };
  return [
    event(eventId, "order.created", occurredAt, order, { payment: { paidAt: occurredAt } }),
    event(`${eventId}:delivered`, "order.delivered", occurredAt, { channelOrderId }),
  ];
};

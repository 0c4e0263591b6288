/**
 * Taobao / Tmall adapter. Native format, modeled on the TOP trade API (taobao.trade.fullinfo.get)
 * pushed as TMC messages, one trade per message:
 *
 *   { "event_id": string,
 *     "topic": "taobao_trade_TradeCreate" | "taobao_trade_TradeBuyerPay" | "taobao_trade_TradeSellerShip"
 *            | "taobao_trade_TradeSuccess" | "taobao_trade_TradeClose" | "taobao_refund_RefundSuccess",
 *     "trade": { "tid": string|number, "created": "yyyy-MM-dd HH:mm:ss", "modified": "...",
 *                "pay_time"?, "consign_time"?, "end_time"?, "buyer_open_uid": string, "buyer_nick"?,
 *                "receiver_name", "receiver_mobile", "receiver_state", "receiver_city",
 *                "receiver_district", "receiver_address", "post_fee": "10.00", "coupon_fee"?: "5.00",
 *                "payment"?: "188.00", "alipay_no"?: string,
 *                "orders": [{ "oid", "sku_id" | "outer_sku_id", "title", "num": int, "price": "99.00",
 *                             "discount_fee"?: "0.00" }],
 *                "invoice_no"?, "logistics_company"? } }
 *
 * Times carry no offset: they are the shop's wall clock, read in ctx.channelZone (an error
 * if the channel declared none). Currency is always CNY.
 *
 * Topic -> canonical:
 *   TradeCreate    -> order.created   (full order; occurredAt = placedAt = created; payment if pay_time)
 *   TradeBuyerPay  -> order.paid      (occurredAt = pay_time; payment amount = trade.payment, tx = alipay_no)
 *   TradeSellerShip-> order.shipped   (occurredAt = consign_time; shipment = logistics_company + invoice_no)
 *   TradeSuccess   -> order.delivered (occurredAt = end_time: "success" means the buyer confirmed receipt)
 *   TradeClose     -> order.cancelled (occurredAt = modified)
 *   RefundSuccess  -> order.refunded  (occurredAt = modified)
 * Non-create events carry only order.channelOrderId; only the fields they use are required.
 * The buyer is buyer_open_uid only: Taobao gives no buyer name or phone of its own, and
 * buyer_nick is a (masked) platform handle, not a name. receiver_* are the delivery contact
 * (order.receiver), never the buyer: the order may be a gift, and Taobao has no field that
 * says the receiver is the buyer. channelSkuId is sku_id, or outer_sku_id for items without SKUs.
 */
import { badInput } from "../../kernel/errors";
import type { AdapterContext, CanonicalEvent, CanonicalLine, CanonicalOrder, CanonicalType, ChannelAdapter } from "./canonical";
import { arr, compact, event, idStr, obj, oneOf, optDecimal, optDiscount, optIdStr, optStr, quantity, decimal, shipment, str, text } from "./shape";
import { optUtcIso, toUtcIso } from "./time";

const TOPICS = {
  taobao_trade_TradeCreate: "order.created",
  taobao_trade_TradeBuyerPay: "order.paid",
  taobao_trade_TradeSellerShip: "order.shipped",
  taobao_trade_TradeSuccess: "order.delivered",
  taobao_trade_TradeClose: "order.cancelled",
  taobao_refund_RefundSuccess: "order.refunded",
} as const satisfies Record<string, CanonicalType>;
type Topic = keyof typeof TOPICS;

const CURRENCY = "CNY";

function lines(value: unknown): CanonicalLine[] {
  return arr(value, "trade.orders").map((raw, i) => {
    const f = `trade.orders[${i}]`;
    const o = obj(raw, f);
    optIdStr(o.oid, `${f}.oid`);
    const sku = optIdStr(o.sku_id, `${f}.sku_id`, "channelSkuId") ?? optIdStr(o.outer_sku_id, `${f}.outer_sku_id`, "channelSkuId");
    if (sku === undefined) throw badInput(`${f}.sku_id (or outer_sku_id) is required.`, { field: `${f}.sku_id` });
    return compact({
      channelSkuId: sku,
      title: optStr(o.title, `${f}.title`),
      quantity: quantity(o.num, `${f}.num`),
      unitPrice: decimal(o.price, `${f}.price`),
      discount: optDiscount(o.discount_fee, `${f}.discount_fee`),
    });
  });
}

function fullOrder(t: Record<string, unknown>, channelOrderId: string, zone?: string): CanonicalOrder {
  return {
    channelOrderId,
    currency: CURRENCY,
    placedAt: toUtcIso(t.created, "trade.created", zone),
    buyer: { channelCustomerId: idStr(t.buyer_open_uid, "trade.buyer_open_uid", "channelCustomerId") },
    receiver: {
      name: str(t.receiver_name, "trade.receiver_name", "personName"),
      phone: str(t.receiver_mobile, "trade.receiver_mobile", "phone"),
      address: {
        province: str(t.receiver_state, "trade.receiver_state", "region"),
        city: str(t.receiver_city, "trade.receiver_city", "region"),
        district: text(t.receiver_district, "trade.receiver_district", "region"),
        detail: str(t.receiver_address, "trade.receiver_address", "addressDetail"),
      },
    },
    lines: lines(t.orders),
    shippingFee: decimal(t.post_fee, "trade.post_fee"),
    couponDiscount: optDiscount(t.coupon_fee, "trade.coupon_fee"),
  };
}

export const taobaoAdapter: ChannelAdapter = (payload: unknown, ctx: AdapterContext): CanonicalEvent[] => {
  const p = obj(payload, "payload");
  const eventId = str(p.event_id, "event_id", "eventId");
  const topic: Topic = oneOf(p.topic, "topic", Object.keys(TOPICS) as Topic[]);
  const t = obj(p.trade, "trade");
  const channelOrderId = idStr(t.tid, "trade.tid", "channelOrderId");
  const zone = ctx.channelZone;
  const type = TOPICS[topic];
  const time = (field: string) => toUtcIso(t[field], `trade.${field}`, zone);
  const payment = () =>
    compact({
      paidAt: time("pay_time"),
      amount: optDecimal(t.payment, "trade.payment"),
      method: "alipay",
      transactionId: optIdStr(t.alipay_no, "trade.alipay_no"),
    });

  switch (topic) {
    case "taobao_trade_TradeCreate": {
      const order = fullOrder(t, channelOrderId, zone);
      const paid = optUtcIso(t.pay_time, "trade.pay_time", zone) !== undefined;
      return [event(eventId, type, order.placedAt!, order, paid ? { payment: payment() } : {})];
    }
    case "taobao_trade_TradeBuyerPay":
      return [event(eventId, type, time("pay_time"), { channelOrderId }, { payment: payment() })];
    case "taobao_trade_TradeSellerShip":
      return [
        event(eventId, type, time("consign_time"), { channelOrderId }, {
          shipment: shipment(t.logistics_company, "trade.logistics_company", t.invoice_no, "trade.invoice_no"),
        }),
      ];
    case "taobao_trade_TradeSuccess":
      return [event(eventId, type, time("end_time"), { channelOrderId })];
    case "taobao_trade_TradeClose":
    case "taobao_refund_RefundSuccess":
      return [event(eventId, type, time("modified"), { channelOrderId })];
  }
};

/**
 * Douyin (抖店) adapter. Native format, modeled on the Doudian open platform order detail
 * (order.orderDetail) pushed as order messages:
 *
 *   { "msg_id": string,
 *     "tag": "100" created | "101" paid | "102" shipped | "103" delivered (buyer confirmed)
 *          | "105" cancelled | "200" refund success,
 *     "data": { "shop_order_id": string, "create_time": unix s, "pay_time"?: unix s, "update_time": unix s,
 *               "buyer": { "open_id": string, "nick_name"? }, "post_receiver", "post_tel",
 *               "post_addr": { "province": { "name" }, "city": { "name" }, "town": { "name" }, "detail" },
 *               "sku_order_list": [{ "sku_id", "product_name", "item_num": int,
 *                                    "origin_amount": int fen per unit, "promotion_amount"?: int fen for the line }],
 *               "post_amount": int fen, "pay_amount"?: int fen, "promise_delivery_time"?: unix s,
 *               "logistics"?: { "company", "tracking_no" } } }
 *
 * Times are unix seconds, so no zone is needed; Douyin sends 0 for a time that is not set
 * (e.g. pay_time of an unpaid order), which is read as absent for optional times. Amounts are
 * integer fen, turned into CNY decimal strings ("9990" -> "99.90").
 *
 * Tag -> canonical:
 *   100 -> order.created   (full order; occurredAt = placedAt = create_time; payment if pay_time)
 *   101 -> order.paid      (occurredAt = pay_time; amount = pay_amount if sent)
 *   102 -> order.shipped   (occurredAt = update_time; shipment from logistics, if any)
 *   103 -> order.delivered (occurredAt = update_time)
 *   105 -> order.cancelled (occurredAt = update_time)
 *   200 -> order.refunded  (occurredAt = update_time)
 * Non-create events carry only order.channelOrderId. post_addr.town is Douyin's district
 * level (区/县). The buyer is buyer.open_id only; nick_name is a platform handle, not a name.
 * post_receiver / post_tel / post_addr are the delivery contact (order.receiver), never the
 * buyer: Douyin has no field that says the receiver is the buyer.
 */
import { formatMinor } from "../../kernel/money";
import type { AdapterContext, CanonicalEvent, CanonicalLine, CanonicalOrder, CanonicalType, ChannelAdapter } from "./canonical";
import { arr, compact, event, idStr, minorInt, obj, oneOf, optMinorInt, optObj, optStr, quantity, shipment, str, text } from "./shape";
import { fromUnixSeconds, optUnixSeconds } from "./time";

const TAGS = {
  "100": "order.created",
  "101": "order.paid",
  "102": "order.shipped",
  "103": "order.delivered",
  "105": "order.cancelled",
  "200": "order.refunded",
} as const satisfies Record<string, CanonicalType>;
type Tag = keyof typeof TAGS;

const CURRENCY = "CNY";
const fen = (value: unknown, field: string) => formatMinor(minorInt(value, field), CURRENCY);

function lines(value: unknown): CanonicalLine[] {
  return arr(value, "data.sku_order_list").map((raw, i) => {
    const f = `data.sku_order_list[${i}]`;
    const s = obj(raw, f);
    const promotion = optMinorInt(s.promotion_amount, `${f}.promotion_amount`);
    return compact({
      channelSkuId: idStr(s.sku_id, `${f}.sku_id`, "channelSkuId"),
      title: optStr(s.product_name, `${f}.product_name`),
      quantity: quantity(s.item_num, `${f}.item_num`),
      unitPrice: fen(s.origin_amount, `${f}.origin_amount`),
      discount: promotion ? formatMinor(promotion, CURRENCY) : undefined,
    });
  });
}

function nameOf(value: unknown, field: string, allowEmpty = false): string {
  const o = obj(value, field);
  return allowEmpty ? text(o.name, `${field}.name`, "region") : str(o.name, `${field}.name`, "region");
}

function fullOrder(d: Record<string, unknown>, channelOrderId: string): CanonicalOrder {
  const buyer = obj(d.buyer, "data.buyer");
  const addr = obj(d.post_addr, "data.post_addr");
  return {
    channelOrderId,
    currency: CURRENCY,
    placedAt: fromUnixSeconds(d.create_time, "data.create_time"),
    buyer: { channelCustomerId: idStr(buyer.open_id, "data.buyer.open_id", "channelCustomerId") },
    receiver: {
      name: str(d.post_receiver, "data.post_receiver", "personName"),
      phone: str(d.post_tel, "data.post_tel", "phone"),
      address: {
        province: nameOf(addr.province, "data.post_addr.province"),
        city: nameOf(addr.city, "data.post_addr.city"),
        district: nameOf(addr.town, "data.post_addr.town", true),
        detail: str(addr.detail, "data.post_addr.detail", "addressDetail"),
      },
    },
    lines: lines(d.sku_order_list),
    shippingFee: fen(d.post_amount, "data.post_amount"),
    promisedDeliveryBy: optUnixSeconds(d.promise_delivery_time, "data.promise_delivery_time"),
  };
}

export const douyinAdapter: ChannelAdapter = (payload: unknown, _ctx: AdapterContext): CanonicalEvent[] => {
  const p = obj(payload, "payload");
  const eventId = idStr(p.msg_id, "msg_id", "eventId");
  const tag: Tag = oneOf(p.tag, "tag", Object.keys(TAGS) as Tag[]);
  const d = obj(p.data, "data");
  const channelOrderId = idStr(d.shop_order_id, "data.shop_order_id", "channelOrderId");
  const type = TAGS[tag];
  const payment = (paidAt: string) => {
    const amount = optMinorInt(d.pay_amount, "data.pay_amount");
    return compact({ paidAt, amount: amount === undefined ? undefined : formatMinor(amount, CURRENCY) });
  };

  switch (tag) {
    case "100": {
      const order = fullOrder(d, channelOrderId);
      const paidAt = optUnixSeconds(d.pay_time, "data.pay_time");
      return [event(eventId, type, order.placedAt!, order, paidAt ? { payment: payment(paidAt) } : {})];
    }
    case "101": {
      const paidAt = fromUnixSeconds(d.pay_time, "data.pay_time");
      return [event(eventId, type, paidAt, { channelOrderId }, { payment: payment(paidAt) })];
    }
    case "102": {
      const l = optObj(d.logistics, "data.logistics");
      return [
        event(eventId, type, fromUnixSeconds(d.update_time, "data.update_time"), { channelOrderId }, {
          shipment: l && shipment(l.company, "data.logistics.company", l.tracking_no, "data.logistics.tracking_no"),
        }),
      ];
    }
    case "103":
    case "105":
    case "200":
      return [event(eventId, type, fromUnixSeconds(d.update_time, "data.update_time"), { channelOrderId })];
  }
};

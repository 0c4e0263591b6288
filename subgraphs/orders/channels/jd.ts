/**
 * JD (京东) adapter. Native format, modeled on the JOS POP order API (jingdong.pop.order.get)
 * pushed as order messages:
 *
 *   { "msgId": string,
 *     "type": "ORDER_CREATE" | "ORDER_PAY" | "ORDER_OUT" | "ORDER_FINISH" | "ORDER_CANCEL",
 *     "order": { "orderId": string|number, "orderStartTime": "yyyy-MM-dd HH:mm:ss",
 *                "paymentConfirmTime"?: "...", "modified"?: "...", "pin": string,
 *                "consigneeInfo": { "fullname", "mobile", "province", "city", "county", "fullAddress" },
 *                "itemInfoList": [{ "skuId", "skuName", "itemTotal": int | "2", "jdPrice": "99.00" }],
 *                "freightPrice": "0.00", "sellerDiscount": "0.00", "orderTotalPrice": "..." },
 *     "waybill"?: { "carrier", "waybillCode" } }
 *
 * Times carry no offset: they are read in ctx.channelZone (an error if the channel declared
 * none). JD writes "0001-01-01 00:00:00" (or another placeholder) for a time that is not set,
 * e.g. paymentConfirmTime of an unpaid order: that is no time, so the order stays unpaid.
 * Currency is always CNY.
 *
 * The buyer is the account (pin) only: JD gives no buyer name or phone of its own.
 * consigneeInfo is the delivery contact (order.receiver), never the buyer: JD has no field
 * that says the consignee is the buyer, and a gift's consignee is someone else.
 *
 * Type -> canonical:
 *   ORDER_CREATE -> order.created   (full order; occurredAt = placedAt = orderStartTime; payment if paymentConfirmTime)
 *   ORDER_PAY    -> order.paid      (occurredAt = paymentConfirmTime)
 *   ORDER_OUT    -> order.shipped   (occurredAt = modified; shipment from waybill, if any) — "出库", left the warehouse
 *   ORDER_FINISH -> order.delivered (occurredAt = modified; JD finishes an order when the buyer receives it)
 *   ORDER_CANCEL -> order.cancelled (occurredAt = modified)
 * Non-create events carry only order.channelOrderId. sellerDiscount (order level) becomes
 * couponDiscount when not zero; orderTotalPrice is checked for shape only (intake computes
 * totals). fullAddress is kept as JD sends it, which usually repeats province/city/county.
 */
import type { AdapterContext, CanonicalEvent, CanonicalLine, CanonicalOrder, CanonicalType, ChannelAdapter } from "./canonical";
import { arr, compact, decimal, event, idStr, obj, oneOf, optDecimal, optDiscount, optObj, optStr, quantity, shipment, str, text } from "./shape";
import { optUtcIso, toUtcIso } from "./time";

const TYPES = {
  ORDER_CREATE: "order.created",
  ORDER_PAY: "order.paid",
  ORDER_OUT: "order.shipped",
  ORDER_FINISH: "order.delivered",
  ORDER_CANCEL: "order.cancelled",
} as const satisfies Record<string, CanonicalType>;
type JdType = keyof typeof TYPES;

const CURRENCY = "CNY";

function lines(value: unknown): CanonicalLine[] {
  return arr(value, "order.itemInfoList").map((raw, i) => {
    const f = `order.itemInfoList[${i}]`;
    const item = obj(raw, f);
    return compact({
      channelSkuId: idStr(item.skuId, `${f}.skuId`, "channelSkuId"),
      title: optStr(item.skuName, `${f}.skuName`),
      quantity: quantity(item.itemTotal, `${f}.itemTotal`, true),
      unitPrice: decimal(item.jdPrice, `${f}.jdPrice`),
    });
  });
}

function fullOrder(o: Record<string, unknown>, channelOrderId: string, zone?: string): CanonicalOrder {
  const c = obj(o.consigneeInfo, "order.consigneeInfo");
  optDecimal(o.orderTotalPrice, "order.orderTotalPrice");
  return {
    channelOrderId,
    currency: CURRENCY,
    placedAt: toUtcIso(o.orderStartTime, "order.orderStartTime", zone),
    buyer: { channelCustomerId: str(o.pin, "order.pin", "channelCustomerId") },
    receiver: {
      name: str(c.fullname, "order.consigneeInfo.fullname", "personName"),
      phone: str(c.mobile, "order.consigneeInfo.mobile", "phone"),
      address: {
        province: str(c.province, "order.consigneeInfo.province", "region"),
        city: str(c.city, "order.consigneeInfo.city", "region"),
        district: text(c.county, "order.consigneeInfo.county", "region"),
        detail: str(c.fullAddress, "order.consigneeInfo.fullAddress", "addressDetail"),
      },
    },
    lines: lines(o.itemInfoList),
    shippingFee: decimal(o.freightPrice, "order.freightPrice"),
    couponDiscount: optDiscount(o.sellerDiscount, "order.sellerDiscount"),
  };
}

export const jdAdapter: ChannelAdapter = (payload: unknown, ctx: AdapterContext): CanonicalEvent[] => {
  const p = obj(payload, "payload");
  const eventId = str(p.msgId, "msgId", "eventId");
  const jdType: JdType = oneOf(p.type, "type", Object.keys(TYPES) as JdType[]);
  const o = obj(p.order, "order");
  const channelOrderId = idStr(o.orderId, "order.orderId", "channelOrderId");
  const zone = ctx.channelZone;
  const type = TYPES[jdType];
  const time = (field: string) => toUtcIso(o[field], `order.${field}`, zone);

  switch (jdType) {
    case "ORDER_CREATE": {
      const order = fullOrder(o, channelOrderId, zone);
      const paidAt = optUtcIso(o.paymentConfirmTime, "order.paymentConfirmTime", zone);
      return [event(eventId, type, order.placedAt!, order, paidAt ? { payment: { paidAt } } : {})];
    }
    case "ORDER_PAY": {
      const paidAt = time("paymentConfirmTime");
      return [event(eventId, type, paidAt, { channelOrderId }, { payment: { paidAt } })];
    }
    case "ORDER_OUT": {
      const w = optObj(p.waybill, "waybill");
      return [
        event(eventId, type, time("modified"), { channelOrderId }, {
          shipment: w && shipment(w.carrier, "waybill.carrier", w.waybillCode, "waybill.waybillCode"),
        }),
      ];
    }
    case "ORDER_FINISH":
    case "ORDER_CANCEL":
      return [event(eventId, type, time("modified"), { channelOrderId })];
  }
};

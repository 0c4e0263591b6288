import "reflect-metadata";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GraphQLError } from "graphql";
import { Channel } from "../../subgraphs/kernel/types";
import type { CanonicalEvent } from "../../subgraphs/orders/channels/canonical";
import { ADAPTERS, adapterFor, type AdapterKey } from "../../subgraphs/orders/channels";
import { fromUnixSeconds, toUtcIso } from "../../subgraphs/orders/channels/time";
import { incomingFromEvent, planOrder } from "../../subgraphs/orders/intake";

const SHANGHAI = { channelZone: "Asia/Shanghai" };

/** A fresh copy of a native fixture, so tests can mutate it. */
function fixture(channel: AdapterKey): any {
  return JSON.parse(readFileSync(join(__dirname, "../fixtures/webhooks", `${channel}.json`), "utf8"));
}

/** Runs fn, expects BAD_USER_INPUT, returns its message and field. */
function badInput(fn: () => unknown): { message: string; field: unknown } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GraphQLError);
    const e = err as GraphQLError;
    expect(e.extensions.code).toBe("BAD_USER_INPUT");
    return { message: e.message, field: e.extensions.field };
  }
  throw new Error("expected BAD_USER_INPUT, nothing was thrown");
}

describe("fixtures -> canonical events", () => {
  test("taobao TradeCreate: Shanghai wall clock, lines, buyer, coupon", () => {
    expect(ADAPTERS.taobao(fixture("taobao"), SHANGHAI)).toEqual<CanonicalEvent[]>([
      {
        eventId: "tmc-2026110110153000001",
        type: "order.created",
        occurredAt: "2026-11-01T02:15:30.000Z",
        order: {
          channelOrderId: "3748291023847561",
          currency: "CNY",
          placedAt: "2026-11-01T02:15:30.000Z",
          buyer: { channelCustomerId: "AAHk5d-EAAeGwJedwSHpg8bT" },
          receiver: {
            name: "张三",
            phone: "13800138000",
            address: { province: "浙江省", city: "杭州市", district: "西湖区", detail: "文三路 90 号 东部软件园 1 号楼 302 室" },
          },
          lines: [
            { channelSkuId: "4890123456789", title: "保温杯 经典款 500ml 黑色", quantity: 2, unitPrice: "99.90", discount: "10.00" },
            { channelSkuId: "BRUSH-01", title: "杯刷", quantity: 1, unitPrice: "29.00" },
          ],
          shippingFee: "10.00",
          couponDiscount: "5.00",
        },
      },
    ]);
  });

  test("jd ORDER_CREATE: numeric ids and string quantities become strings and numbers", () => {
    expect(ADAPTERS.jd(fixture("jd"), SHANGHAI)).toEqual<CanonicalEvent[]>([
      {
        eventId: "jd-msg-7f3c2a10-2b1e-4c8d-9a55-0e6f1d2c3b4a",
        type: "order.created",
        occurredAt: "2026-11-01T15:59:58.000Z",
        order: {
          channelOrderId: "298765432101",
          currency: "CNY",
          placedAt: "2026-11-01T15:59:58.000Z",
          buyer: { channelCustomerId: "jd_5c8f2a1b3d4e" },
          receiver: {
            name: "李四",
            phone: "13912345678",
            address: { province: "北京", city: "北京市", district: "朝阳区", detail: "北京朝阳区三环到四环之间 建国路 88 号 SOHO 现代城 A 座 1201" },
          },
          lines: [
            { channelSkuId: "100012345678", title: "不锈钢保温杯 500ml 银色", quantity: 3, unitPrice: "89.00" },
            { channelSkuId: "100087654321", title: "便携餐具套装", quantity: 1, unitPrice: "39.90" },
          ],
          shippingFee: "0.00",
          couponDiscount: "20.00",
        },
      },
    ]);
  });

  test("douyin tag 100: unix seconds, fen -> decimal strings, pay_time 0 = unpaid; no zone needed", () => {
    expect(ADAPTERS.douyin(fixture("douyin"), {})).toEqual<CanonicalEvent[]>([
      {
        eventId: "7298312245501208891",
        type: "order.created",
        occurredAt: "2026-11-01T14:15:00.000Z",
        order: {
          channelOrderId: "6929876543210987654",
          currency: "CNY",
          placedAt: "2026-11-01T14:15:00.000Z",
          buyer: { channelCustomerId: "dy_open_1a2b3c4d5e6f" },
          receiver: {
            name: "王五",
            phone: "15012345678",
            address: { province: "广东省", city: "深圳市", district: "南山区", detail: "科技园南区 深南大道 9988 号 2 栋 1808" },
          },
          lines: [{ channelSkuId: "1780123456789012", title: "冷萃茶包 30 袋装", quantity: 2, unitPrice: "59.90", discount: "10.00" }],
          shippingFee: "8.00",
          promisedDeliveryBy: "2026-11-04T14:15:00.000Z",
        },
      },
    ]);
  });

  test("pos SALE: created (paid) + delivered, read in the store's zone", () => {
    const order = {
      channelOrderId: "SH001-20261101-000123",
      currency: "CNY",
      placedAt: "2026-11-01T12:15:00.000Z",
      buyer: { channelCustomerId: "M88001234", name: "赵六", phone: "13700001111" },
      lines: [
        { channelSkuId: "6901234567892", title: "茉莉花茶 250g", quantity: 2, unitPrice: "12.50" },
        { channelSkuId: "6909876543210", title: "玻璃茶杯", quantity: 1, unitPrice: "45.00", discount: "5.00" },
      ],
    };
    // The store's zone wins over the channel's.
    expect(ADAPTERS.pos(fixture("pos"), { channelZone: "America/New_York" })).toEqual<CanonicalEvent[]>([
      {
        eventId: "pos-SH001-20261101-000123",
        type: "order.created",
        occurredAt: "2026-11-01T12:15:00.000Z",
        order,
        payment: { paidAt: "2026-11-01T12:15:00.000Z" },
      },
      {
        eventId: "pos-SH001-20261101-000123:delivered",
        type: "order.delivered",
        occurredAt: "2026-11-01T12:15:00.000Z",
        order: { channelOrderId: "SH001-20261101-000123" },
      },
    ]);
  });

  test("web: canonical in, times normalized to UTC Z, unknown fields dropped", () => {
    const payload = fixture("web");
    payload.order.internalNote = "dropped";
    expect(ADAPTERS.web(payload, {})).toEqual<CanonicalEvent[]>([
      {
        eventId: "web-evt-01JBX2Q7M4N8P0R5T9V3W6Y1Z2",
        type: "order.created",
        occurredAt: "2026-11-01T01:30:00.000Z",
        order: {
          channelOrderId: "W2026110100042",
          currency: "CNY",
          placedAt: "2026-11-01T01:29:41.250Z",
          buyer: { channelCustomerId: "web-cust-10086", name: "孙七", phone: "+86 186 0000 1234", deviceFingerprint: "fp_9c1e4b7a" },
          // The older format's buyer.address: the buyer ships to their own address.
          receiver: {
            name: "孙七",
            phone: "+86 186 0000 1234",
            address: { province: "四川省", city: "成都市", district: "武侯区", detail: "天府大道北段 1700 号 环球中心 W6 区 1503" },
            isBuyer: true,
          },
          lines: [
            { channelSkuId: "SKU-TEA-SET-01", title: "功夫茶具套装", quantity: 1, unitPrice: "268.00", discount: "20.00" },
            { channelSkuId: "SKU-TEA-OOLONG-250", title: "铁观音 250g", quantity: 2, unitPrice: "88.00" },
          ],
          shippingFee: "12.00",
          couponDiscount: "15.00",
          promisedDeliveryBy: "2026-11-04T10:00:00.000Z",
        },
        payment: { paidAt: "2026-11-01T01:30:00.000Z", amount: "421.00", method: "wechat_pay", transactionId: "4200002026110100000042" },
      },
    ]);
  });

  test("every order.created is accepted by intake (planOrder)", () => {
    const cases: Array<[AdapterKey, Channel, object]> = [
      ["taobao", Channel.TAOBAO, SHANGHAI],
      ["jd", Channel.JD, SHANGHAI],
      ["douyin", Channel.DOUYIN, {}],
      ["pos", Channel.POS, {}],
      ["web", Channel.WEB, {}],
    ];
    for (const [key, channel, ctx] of cases) {
      const [created] = ADAPTERS[key](fixture(key), ctx);
      const o = created.order;
      const plan = planOrder(incomingFromEvent(channel, o.channelOrderId, created));
      expect(plan.placedAt.toISOString()).toBe(o.placedAt);
      expect(plan.lines).toHaveLength(o.lines!.length);
      // Only the web store (and a till's member card) says who the buyer is beyond the account.
      expect({ key, receiverIsBuyer: plan.receiverIsBuyer }).toEqual({ key, receiverIsBuyer: key === "web" });
    }
  });
});

describe("time zones", () => {
  test("New York midnight on the DST end day: 00:30 is still EDT (UTC-4)", () => {
    const payload = fixture("pos");
    payload.store = { code: "NY01", timezone: "America/New_York" };
    payload.receipt.time = "2026-11-01T00:30:00";
    payload.receipt.currency = "USD";
    const [created, delivered] = ADAPTERS.pos(payload, {});
    expect(created.occurredAt).toBe("2026-11-01T04:30:00.000Z");
    expect(created.order.placedAt).toBe("2026-11-01T04:30:00.000Z");
    expect(created.order.channelOrderId).toBe("NY01-20261101-000123");
    expect(delivered.occurredAt).toBe("2026-11-01T04:30:00.000Z");
  });

  test("DST gap: 2026-03-08 02:30 does not exist in New York; luxon moves it forward to 03:30 EDT", () => {
    expect(toUtcIso("2026-03-08T02:30:00", "t", "America/New_York")).toBe("2026-03-08T07:30:00.000Z");
    expect(toUtcIso("2026-03-08 03:30:00", "t", "America/New_York")).toBe("2026-03-08T07:30:00.000Z");
    expect(toUtcIso("2026-03-08 01:59:59", "t", "America/New_York")).toBe("2026-03-08T06:59:59.000Z");
  });

  test("DST overlap: 2026-11-01 01:30 happens twice in New York; luxon picks the later one, EST (UTC-5)", () => {
    // Documented behaviour, pinned here: 01:30 EDT would be 05:30Z. A channel that means
    // the first 01:30 must send an offset.
    expect(toUtcIso("2026-11-01 01:30:00", "t", "America/New_York")).toBe("2026-11-01T06:30:00.000Z");
    expect(toUtcIso("2026-11-01T01:30:00-04:00", "t", "America/New_York")).toBe("2026-11-01T05:30:00.000Z");
  });

  test("taobao times are read in the channel's zone (Asia/Shanghai, UTC+8, no DST)", () => {
    const [e] = ADAPTERS.taobao(fixture("taobao"), SHANGHAI);
    expect(e.occurredAt).toBe("2026-11-01T02:15:30.000Z");
    const [ny] = ADAPTERS.taobao(fixture("taobao"), { channelZone: "America/New_York" });
    expect(ny.occurredAt).toBe("2026-11-01T15:15:30.000Z");
  });

  test("zone-less times without a declared zone are refused, naming the field", () => {
    const tb = badInput(() => ADAPTERS.taobao(fixture("taobao"), {}));
    expect(tb.field).toBe("trade.created");
    expect(tb.message).toMatch(/no time zone is declared/);
    expect(badInput(() => ADAPTERS.jd(fixture("jd"), {})).field).toBe("order.orderStartTime");
    const web = fixture("web");
    web.occurredAt = "2026-11-01T09:30:00";
    expect(badInput(() => ADAPTERS.web(web, {})).field).toBe("occurredAt");
    expect(ADAPTERS.web(web, SHANGHAI)[0].occurredAt).toBe("2026-11-01T01:30:00.000Z");
  });

  test("pos without store.timezone falls back to the channel zone, and is refused with neither", () => {
    const payload = fixture("pos");
    delete payload.store.timezone;
    expect(ADAPTERS.pos(payload, { channelZone: "Asia/Shanghai" })[0].occurredAt).toBe("2026-11-01T12:15:00.000Z");
    const err = badInput(() => ADAPTERS.pos(payload, {}));
    expect(err.field).toBe("receipt.time");
    expect(err.message).toMatch(/no time zone is declared/);
    expect(err.message).toMatch(/store\.timezone/);
    // A till that sends an offset needs no zone.
    payload.receipt.time = "2026-11-01T20:15:00+08:00";
    expect(ADAPTERS.pos(payload, {})[0].occurredAt).toBe("2026-11-01T12:15:00.000Z");
  });

  test("invalid zones and times are BAD_USER_INPUT", () => {
    const payload = fixture("pos");
    payload.store.timezone = "Mars/Olympus_Mons";
    expect(badInput(() => ADAPTERS.pos(payload, {})).field).toBe("store.timezone");
    // ICU would read "CST" as America/Chicago; a Chinese shop means UTC+8. Abbreviations are refused.
    expect(badInput(() => ADAPTERS.taobao(fixture("taobao"), { channelZone: "CST" })).field).toBe("channelZone");
    expect(badInput(() => toUtcIso("2026-11-01 10:00:00", "f", "PRC")).field).toBe("channelZone");
    expect(toUtcIso("2026-11-01 10:00:00", "f", "UTC")).toBe("2026-11-01T10:00:00.000Z");
    expect(toUtcIso("2026-11-01 10:00:00", "f", "Etc/GMT-8")).toBe("2026-11-01T02:00:00.000Z");
    expect(badInput(() => toUtcIso("2026-02-30 10:00:00", "f", "Asia/Shanghai")).message).toMatch(/not an ISO-8601 time/);
    expect(badInput(() => toUtcIso("2026-11-01", "f", "Asia/Shanghai")).field).toBe("f");
    expect(badInput(() => toUtcIso(1793542500, "f", "Asia/Shanghai")).field).toBe("f");
    expect(toUtcIso("2026-11-01T05:00:00Z", "f")).toBe("2026-11-01T05:00:00.000Z");
    expect(toUtcIso("2026-11-01 13:00:00+0800", "f")).toBe("2026-11-01T05:00:00.000Z");
  });

  test("unix seconds", () => {
    expect(fromUnixSeconds(1793542500, "f")).toBe("2026-11-01T14:15:00.000Z");
    expect(badInput(() => fromUnixSeconds(1793542500000, "f")).message).toMatch(/milliseconds/);
    expect(badInput(() => fromUnixSeconds("1793542500", "f")).field).toBe("f");
    expect(badInput(() => fromUnixSeconds(1.5, "f")).field).toBe("f");
  });
});

describe("lifecycle events", () => {
  const tbTrade = (topic: string, trade: object) => ({ event_id: `e-${topic}`, topic, trade: { tid: 3748291023847561, ...trade } });

  test("taobao: pay, ship, success (= delivered), close, refund", () => {
    const run = (topic: string, trade: object) => ADAPTERS.taobao(tbTrade(topic, trade), SHANGHAI);
    expect(run("taobao_trade_TradeBuyerPay", { pay_time: "2026-11-01 10:20:00", payment: "223.80", alipay_no: "2026110122001400001234567890" })).toEqual([
      {
        eventId: "e-taobao_trade_TradeBuyerPay",
        type: "order.paid",
        occurredAt: "2026-11-01T02:20:00.000Z",
        order: { channelOrderId: "3748291023847561" },
        payment: { paidAt: "2026-11-01T02:20:00.000Z", amount: "223.80", method: "alipay", transactionId: "2026110122001400001234567890" },
      },
    ]);
    expect(run("taobao_trade_TradeSellerShip", { consign_time: "2026-11-02 09:00:00", logistics_company: "中通快递", invoice_no: "78312345678901" })).toEqual([
      {
        eventId: "e-taobao_trade_TradeSellerShip",
        type: "order.shipped",
        occurredAt: "2026-11-02T01:00:00.000Z",
        order: { channelOrderId: "3748291023847561" },
        shipment: { carrier: "中通快递", trackingNumber: "78312345678901" },
      },
    ]);
    expect(run("taobao_trade_TradeSellerShip", { consign_time: "2026-11-02 09:00:00" })[0].shipment).toBeUndefined();
    expect(badInput(() => run("taobao_trade_TradeSellerShip", { consign_time: "2026-11-02 09:00:00", logistics_company: "中通快递" })).field).toBe("trade.invoice_no");
    expect(run("taobao_trade_TradeSuccess", { end_time: "2026-11-05 18:00:00" })[0]).toMatchObject({ type: "order.delivered", occurredAt: "2026-11-05T10:00:00.000Z" });
    expect(run("taobao_trade_TradeClose", { modified: "2026-11-01 11:00:00" })[0]).toMatchObject({ type: "order.cancelled", occurredAt: "2026-11-01T03:00:00.000Z" });
    expect(run("taobao_refund_RefundSuccess", { modified: "2026-11-08 12:00:00" })[0]).toMatchObject({ type: "order.refunded", occurredAt: "2026-11-08T04:00:00.000Z" });
    expect(badInput(() => run("taobao_trade_TradeBuyerPay", {})).field).toBe("trade.pay_time");
  });

  test("jd: pay, out (= shipped), finish (= delivered), cancel", () => {
    const run = (type: string, order: object, extra: object = {}) =>
      ADAPTERS.jd({ msgId: `m-${type}`, type, order: { orderId: "298765432101", ...order }, ...extra }, SHANGHAI);
    expect(run("ORDER_PAY", { paymentConfirmTime: "2026-11-02 00:00:05" })[0]).toEqual({
      eventId: "m-ORDER_PAY",
      type: "order.paid",
      occurredAt: "2026-11-01T16:00:05.000Z",
      order: { channelOrderId: "298765432101" },
      payment: { paidAt: "2026-11-01T16:00:05.000Z" },
    });
    expect(run("ORDER_OUT", { modified: "2026-11-02 14:00:00" }, { waybill: { carrier: "京东物流", waybillCode: "JD0012345678901" } })[0]).toEqual({
      eventId: "m-ORDER_OUT",
      type: "order.shipped",
      occurredAt: "2026-11-02T06:00:00.000Z",
      order: { channelOrderId: "298765432101" },
      shipment: { carrier: "京东物流", trackingNumber: "JD0012345678901" },
    });
    expect(run("ORDER_FINISH", { modified: "2026-11-03 10:00:00" })[0]).toMatchObject({ type: "order.delivered", occurredAt: "2026-11-03T02:00:00.000Z" });
    expect(run("ORDER_CANCEL", { modified: "2026-11-03 10:00:00" })[0].type).toBe("order.cancelled");
    expect(badInput(() => run("ORDER_FINISH", {})).field).toBe("order.modified");
  });

  test("douyin: paid (with amount), shipped, confirmed (= delivered), cancelled, refunded", () => {
    const run = (tag: string, data: object) => ADAPTERS.douyin({ msg_id: `m${tag}`, tag, data: { shop_order_id: "6929876543210987654", ...data } }, {});
    expect(run("101", { pay_time: 1793542800, pay_amount: 11780 })[0]).toEqual({
      eventId: "m101",
      type: "order.paid",
      occurredAt: "2026-11-01T14:20:00.000Z",
      order: { channelOrderId: "6929876543210987654" },
      payment: { paidAt: "2026-11-01T14:20:00.000Z", amount: "117.80" },
    });
    expect(run("102", { update_time: 1793600000, logistics: { company: "顺丰速运", tracking_no: "SF1234567890123" } })[0]).toMatchObject({
      type: "order.shipped",
      shipment: { carrier: "顺丰速运", trackingNumber: "SF1234567890123" },
    });
    expect(run("103", { update_time: 1793600000 })[0].type).toBe("order.delivered");
    expect(run("105", { update_time: 1793600000 })[0].type).toBe("order.cancelled");
    expect(run("200", { update_time: 1793600000 })[0].type).toBe("order.refunded");
    expect(badInput(() => run("101", { pay_time: 0 })).field).toBe("data.pay_time");
  });

  test("pos VOID -> order.cancelled; walk-in buyer without a member", () => {
    const payload = fixture("pos");
    payload.kind = "VOID";
    expect(ADAPTERS.pos(payload, {})).toEqual([
      { eventId: "pos-SH001-20261101-000123", type: "order.cancelled", occurredAt: "2026-11-01T12:15:00.000Z", order: { channelOrderId: "SH001-20261101-000123" } },
    ]);
    const sale = fixture("pos");
    delete sale.receipt.member;
    expect(ADAPTERS.pos(sale, {})[0].order.buyer).toEqual({ channelCustomerId: "walk-in:SH001" });
  });

  test("web non-create events need only channelOrderId", () => {
    const [e] = ADAPTERS.web(
      {
        eventId: "w-2",
        type: "order.shipped",
        occurredAt: "2026-11-02T10:00:00+08:00",
        order: { channelOrderId: "W2026110100042" },
        shipment: { carrier: "SF", trackingNumber: "SF0001" },
      },
      {},
    );
    expect(e).toEqual({
      eventId: "w-2",
      type: "order.shipped",
      occurredAt: "2026-11-02T02:00:00.000Z",
      order: { channelOrderId: "W2026110100042" },
      shipment: { carrier: "SF", trackingNumber: "SF0001" },
    });
  });
});

describe("bad native payloads are BAD_USER_INPUT naming the field", () => {
  test("zero, negative and fractional quantities", () => {
    const tb = fixture("taobao");
    tb.trade.orders[0].num = -1;
    expect(badInput(() => ADAPTERS.taobao(tb, SHANGHAI))).toEqual({ message: "trade.orders[0].num must be at least 1, got -1.", field: "trade.orders[0].num" });
    const jd = fixture("jd");
    jd.order.itemInfoList[1].itemTotal = "-2";
    expect(badInput(() => ADAPTERS.jd(jd, SHANGHAI)).field).toBe("order.itemInfoList[1].itemTotal");
    const dy = fixture("douyin");
    dy.data.sku_order_list[0].item_num = 0;
    expect(badInput(() => ADAPTERS.douyin(dy, {})).field).toBe("data.sku_order_list[0].item_num");
    const pos = fixture("pos");
    pos.receipt.items[1].qty = 1.5;
    expect(badInput(() => ADAPTERS.pos(pos, {})).message).toMatch(/receipt\.items\[1\]\.qty must be a whole number/);
    const web = fixture("web");
    web.order.lines[0].quantity = "1";
    expect(badInput(() => ADAPTERS.web(web, {})).field).toBe("order.lines[0].quantity");
  });

  test("unknown topics, types, tags and kinds", () => {
    const tb = fixture("taobao");
    tb.topic = "taobao_item_ItemAdd";
    expect(badInput(() => ADAPTERS.taobao(tb, SHANGHAI))).toMatchObject({ field: "topic", message: expect.stringMatching(/taobao_item_ItemAdd.*not one of/) });
    const jd = fixture("jd");
    jd.type = "ORDER_LOCK";
    expect(badInput(() => ADAPTERS.jd(jd, SHANGHAI)).field).toBe("type");
    const dy = fixture("douyin");
    dy.tag = 100;
    expect(badInput(() => ADAPTERS.douyin(dy, {})).field).toBe("tag");
    const pos = fixture("pos");
    pos.kind = "RETURN";
    expect(badInput(() => ADAPTERS.pos(pos, {})).field).toBe("kind");
    const web = fixture("web");
    web.type = "order.exploded";
    expect(badInput(() => ADAPTERS.web(web, {})).field).toBe("type");
  });

  test("missing or mistyped required fields", () => {
    const cases: Array<[AdapterKey, (p: any) => void, string, RegExp]> = [
      ["taobao", (p) => delete p.trade.receiver_mobile, "trade.receiver_mobile", /is required/],
      ["taobao", (p) => (p.trade.orders[1].price = 29), "trade.orders[1].price", /decimal string/],
      ["taobao", (p) => delete p.trade.orders[1].outer_sku_id, "trade.orders[1].sku_id", /sku_id \(or outer_sku_id\) is required/],
      ["taobao", (p) => (p.trade.tid = 12345678901234567890), "trade.tid", /send it as a string/],
      ["taobao", (p) => (p.trade.orders = []), "trade.orders", /at least 1/],
      ["taobao", (p) => delete p.event_id, "event_id", /is required/],
      ["jd", (p) => delete p.order.consigneeInfo, "order.consigneeInfo", /is required/],
      ["jd", (p) => (p.order.pin = 42), "order.pin", /must be a string/],
      ["jd", (p) => (p.order.itemInfoList = {}), "order.itemInfoList", /must be an array/],
      ["douyin", (p) => (p.data.sku_order_list[0].origin_amount = "59.90"), "data.sku_order_list[0].origin_amount", /minor units/],
      ["douyin", (p) => delete p.data.buyer.open_id, "data.buyer.open_id", /is required/],
      ["douyin", (p) => (p.data.post_addr.city = "深圳市"), "data.post_addr.city", /must be an object/],
      ["pos", (p) => delete p.receipt.items, "receipt.items", /is required/],
      ["pos", (p) => (p.store.code = ""), "store.code", /is required/],
      ["pos", (p) => delete p.receipt.member.cardNo, "receipt.member.cardNo", /is required/],
      ["web", (p) => delete p.order.buyer.channelCustomerId, "order.buyer.channelCustomerId", /is required/],
      ["web", (p) => delete p.order.currency, "order.currency", /is required/],
      ["web", (p) => (p.order.lines[1].channelSkuId = 7), "order.lines[1].channelSkuId", /must be a string/],
      ["web", (p) => (p.order.lines[1].unitPrice = 88), "order.lines[1].unitPrice", /decimal string/],
      ["web", (p) => delete p.order, "order", /is required/],
    ];
    for (const [key, mutate, field, message] of cases) {
      const payload = fixture(key);
      mutate(payload);
      const err = badInput(() => ADAPTERS[key](payload, SHANGHAI));
      expect({ key, field: err.field }).toEqual({ key, field });
      expect(err.message).toMatch(message);
    }
    expect(badInput(() => ADAPTERS.web("not json", {})).field).toBe("payload");
  });
});

describe("placeholder times mean none", () => {
  test("jd: an unpaid order's paymentConfirmTime 0001-01-01 00:00:00 is no payment; the order stays unpaid", () => {
    for (const placeholder of ["0001-01-01 00:00:00", "0000-00-00 00:00:00", "1970-01-01 08:00:00"]) {
      const jd = fixture("jd");
      jd.order.paymentConfirmTime = placeholder;
      const [created] = ADAPTERS.jd(jd, SHANGHAI);
      expect({ placeholder, payment: created.payment }).toEqual({ placeholder, payment: undefined });
      expect(planOrder(incomingFromEvent(Channel.JD, created.order.channelOrderId, created)).status).toBe("PENDING_PAYMENT");
    }
    // A payment event must carry a real time.
    const pay = { msgId: "m-pay", type: "ORDER_PAY", order: { orderId: "1", paymentConfirmTime: "0001-01-01 00:00:00" } };
    expect(badInput(() => ADAPTERS.jd(pay, SHANGHAI))).toMatchObject({ field: "order.paymentConfirmTime", message: expect.stringMatching(/placeholder/) });
  });

  test("taobao and web: the same placeholders are no payment either", () => {
    const tb = fixture("taobao");
    tb.trade.pay_time = "0000-00-00 00:00:00";
    expect(ADAPTERS.taobao(tb, SHANGHAI)[0].payment).toBeUndefined();
    const web = fixture("web");
    web.payment.paidAt = "0001-01-01T00:00:00Z";
    expect(ADAPTERS.web(web, {})[0].payment).toEqual({ amount: "421.00", method: "wechat_pay", transactionId: "4200002026110100000042" });
  });
});

describe("the buyer is not the receiver", () => {
  test.each<[AdapterKey, object]>([
    ["taobao", SHANGHAI],
    ["jd", SHANGHAI],
    ["douyin", {}],
  ])("%s: the receiver is a delivery contact, never marked as the buyer", (key, ctx) => {
    const [created] = ADAPTERS[key](fixture(key), ctx);
    expect(Object.keys(created.order.buyer!)).toEqual(["channelCustomerId"]);
    expect(created.order.receiver).toBeDefined();
    expect(created.order.receiver!.isBuyer).toBeUndefined();
  });

  test("web: receiver with isBuyer, receiver without, and both forms at once", () => {
    const gift = fixture("web");
    const address = gift.order.buyer.address;
    delete gift.order.buyer.address;
    gift.order.receiver = { name: "周八", phone: "13600001111", address };
    const [g] = ADAPTERS.web(gift, {});
    expect(g.order.buyer).toEqual({ channelCustomerId: "web-cust-10086", name: "孙七", phone: "+86 186 0000 1234", deviceFingerprint: "fp_9c1e4b7a" });
    expect(g.order.receiver).toEqual({ name: "周八", phone: "13600001111", address });
    const self = fixture("web");
    delete self.order.buyer.address;
    self.order.receiver = { name: "孙七", address, isBuyer: true };
    expect(ADAPTERS.web(self, {})[0].order.receiver).toEqual({ name: "孙七", address, isBuyer: true });
    const both = fixture("web");
    both.order.receiver = { name: "周八", address };
    expect(badInput(() => ADAPTERS.web(both, {})).field).toBe("order.buyer.address");
    const flag = fixture("web");
    delete flag.order.buyer.address;
    flag.order.receiver = { address, isBuyer: "yes" };
    expect(badInput(() => ADAPTERS.web(flag, {})).field).toBe("order.receiver.isBuyer");
  });
});

describe("values too long or too large are refused, naming the native field", () => {
  test.each<[AdapterKey, (p: any) => void, string]>([
    ["taobao", (p) => (p.event_id = "e".repeat(151)), "event_id"],
    ["taobao", (p) => (p.trade.tid = "9".repeat(101)), "trade.tid"],
    ["taobao", (p) => (p.trade.receiver_name = "名".repeat(101)), "trade.receiver_name"],
    ["taobao", (p) => (p.trade.receiver_mobile = "1".repeat(41)), "trade.receiver_mobile"],
    ["taobao", (p) => (p.trade.receiver_address = "路".repeat(301)), "trade.receiver_address"],
    ["taobao", (p) => (p.trade.orders[0].sku_id = "s".repeat(101)), "trade.orders[0].sku_id"],
    ["taobao", (p) => (p.trade.orders[0].num = 100_001), "trade.orders[0].num"],
    ["jd", (p) => (p.order.pin = "p".repeat(101)), "order.pin"],
    ["jd", (p) => (p.order.consigneeInfo.county = "区".repeat(51)), "order.consigneeInfo.county"],
    ["douyin", (p) => (p.data.sku_order_list[0].origin_amount = 2 ** 31), "data.sku_order_list[0].origin_amount"],
    ["douyin", (p) => (p.data.post_addr.province.name = "省".repeat(51)), "data.post_addr.province.name"],
    ["pos", (p) => (p.eventId = "e".repeat(141)), "eventId"],
    ["pos", (p) => (p.store.code = "S".repeat(31)), "store.code"],
    ["pos", (p) => (p.receipt.member.name = "🙂".repeat(101)), "receipt.member.name"],
    ["web", (p) => (p.order.buyer.deviceFingerprint = "f".repeat(101)), "order.buyer.deviceFingerprint"],
    ["web", (p) => (p.payment.transactionId = "t".repeat(101)), "payment.transactionId"],
  ])("%s: %s", (key, mutate, field) => {
    const payload = fixture(key);
    mutate(payload);
    const err = badInput(() => ADAPTERS[key](payload, SHANGHAI));
    expect(err.field).toBe(field);
  });

  test("a name of 100 emoji fits: limits count characters, not UTF-16 units", () => {
    const pos = fixture("pos");
    pos.receipt.member.name = "🙂".repeat(100);
    expect(ADAPTERS.pos(pos, {})[0].order.buyer!.name).toBe("🙂".repeat(100));
  });

  test("intake refuses amounts that do not fit the INT minor-unit columns, naming the field", () => {
    const [created] = ADAPTERS.web(fixture("web"), {});
    const plan = (edit: (o: any) => void) => {
      const input: any = incomingFromEvent(Channel.WEB, "W1", created);
      input.lines = input.lines.map((l: object) => ({ ...l }));
      edit(input);
      return () => planOrder(input);
    };
    expect(badInput(plan((o) => (o.lines[0].unitPrice = "21474836.48"))).field).toBe("lines[0].unitPrice");
    expect(badInput(plan((o) => ((o.lines[0].unitPrice = "30000000.00"), (o.lines[0].discount = "30000000.00")))).field).toBe("lines[0].unitPrice");
    expect(badInput(plan((o) => ((o.lines[0].unitPrice = "20000000.00"), (o.lines[0].quantity = 2)))).field).toBe("lines[0].unitPrice");
    expect(badInput(plan((o) => (o.shippingFee = "99999999999.00"))).field).toBe("shippingFee");
    expect(badInput(plan((o) => (o.lines = [...o.lines, ...Array.from({ length: 30 }, () => ({ channelSkuId: "X", quantity: 1, unitPrice: "1000000.00" }))]))).field).toBe("lines");
    expect(badInput(plan((o) => (o.shippingAddress = { ...o.shippingAddress, recipient: "名".repeat(101) }))).field).toBe("shippingAddress.recipient");
    // Titles are display snapshots: a long one is shortened to its column, not refused.
    const long = planOrder({ ...incomingFromEvent(Channel.WEB, "W1", created), couponDiscount: null, lines: [{ channelSkuId: "X", title: "长".repeat(300), quantity: 1, unitPrice: "1.00" }] });
    expect([...long.lines[0].title]).toHaveLength(200);
  });
});

test("only channel names find an adapter: inherited keys such as constructor do not", () => {
  for (const name of ["taobao", "jd", "douyin", "web", "pos"]) expect(adapterFor(name)).toBe(ADAPTERS[name as AdapterKey]);
  for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "", "TAOBAO"]) expect(adapterFor(name)).toBeUndefined();
});

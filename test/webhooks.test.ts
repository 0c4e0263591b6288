import { Channel } from "../subgraphs/kernel/types";
import { readFileSync } from "node:fs";
import path from "node:path";
import { encodePrincipal, signInternalRequest } from "../subgraphs/kernel/internal-auth";
import { countRows, createProduct, sendWebhook, unique } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
  await createProduct(hub, "CUP-1", [{ channel: "WEB", channelSkuId: "SKU-A" }]);
}, 60_000);
afterAll(() => hub?.stop());

function created(channelOrderId: string, overrides: Record<string, unknown> = {}) {
  return {
    eventId: unique("evt"),
    type: "order.created",
    occurredAt: "2026-11-20T10:00:00+08:00",
    order: {
      channelOrderId,
      currency: "CNY",
      buyer: { channelCustomerId: "web-wh-1", name: "王五", phone: "+86 13700137000", address: { province: "上海市", city: "上海市", district: "浦东新区", detail: "世纪大道1号" } },
      lines: [{ channelSkuId: "SKU-A", quantity: 1, unitPrice: "50.00" }],
      shippingFee: "0.00",
    },
    ...overrides,
  };
}

const statusEvent = (channelOrderId: string, type: string, occurredAt: string, extra: Record<string, unknown> = {}) => ({
  eventId: unique("evt"),
  type,
  occurredAt,
  order: { channelOrderId },
  ...extra,
});

async function order(channelOrderId: string) {
  const d = await hub.ok("query($f: OrderFilter) { orders(first: 1, filter: $f) { edges { node { id status placedAt events { type source data } } } } }", { f: { channelOrderId } });
  return d.orders.edges[0]?.node;
}

test("a signed web order is stored in UTC and its history starts", async () => {
  const r = await sendWebhook(hub, "web", created("WEB-1"));
  expect(r.status).toBe(200);
  expect(r.body.results[0]).toMatchObject({ outcome: "applied" });
  const o = await order("WEB-1");
  expect(o).toMatchObject({ status: "PENDING_PAYMENT", placedAt: "2026-11-20T02:00:00.000Z" });
  expect(o.events.map((e: any) => e.type)).toEqual(["order.created"]);
  expect(o.events[0].source).toBe("web");
});

test("the same event delivered twice has one effect, and both deliveries get 200", async () => {
  const evt = created("WEB-2");
  const first = await sendWebhook(hub, "web", evt);
  const again = await sendWebhook(hub, "web", evt);
  expect([first.status, again.status]).toEqual([200, 200]);
  expect(again.body.results[0].outcome).toBe("duplicate");
  const concurrent = await Promise.all(Array.from({ length: 5 }, () => sendWebhook(hub, "web", { ...evt, eventId: "same-event-3", order: { ...evt.order, channelOrderId: "WEB-3" } })));
  expect(concurrent.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  expect(concurrent.filter((r) => r.body.results[0].outcome === "applied")).toHaveLength(1);
  const rows = await hub.subgraphs.orders.ds.query("SELECT COUNT(*) AS n FROM orders WHERE channelOrderId IN ('WEB-2', 'WEB-3')");
  expect(Number(rows[0].n)).toBe(2);
});

test("payment moves the order to PAID and automation hands it to fulfillment at once", async () => {
  await sendWebhook(hub, "web", created("WEB-4"));
  const r = await sendWebhook(hub, "web", statusEvent("WEB-4", "order.paid", "2026-11-20T02:05:00Z", { payment: { paidAt: "2026-11-20T02:05:00Z", amount: "50.00" } }));
  expect(r.body.results[0].outcome).toBe("applied");
  const o = await order("WEB-4");
  expect(o.status).toBe("FULFILLING");
  expect(o.events.map((e: any) => e.type)).toEqual(["order.created", "order.status_changed", "order.status_changed", "order.fulfillment_requested"]);
  expect(JSON.parse(o.events[1].data)).toMatchObject({ from: "PENDING_PAYMENT", to: "PAID" });
});

test("an older event never overwrites newer state", async () => {
  await sendWebhook(hub, "web", created("WEB-5"));
  await sendWebhook(hub, "web", statusEvent("WEB-5", "order.paid", "2026-11-20T02:05:00Z", { payment: {} }));
  await sendWebhook(hub, "web", statusEvent("WEB-5", "order.shipped", "2026-11-20T05:00:00Z", { shipment: { carrier: "SF", trackingNumber: "SF1" } }));
  const late = await sendWebhook(hub, "web", statusEvent("WEB-5", "order.paid", "2026-11-20T02:04:00Z", { payment: {} }));
  expect(late.status).toBe(200);
  expect(late.body.results[0].outcome).toBe("ignored");
  expect((await order("WEB-5")).status).toBe("SHIPPED");
});

test("a status event for an order not seen yet is held and applied when the order arrives", async () => {
  const shipped = await sendWebhook(hub, "web", statusEvent("WEB-6", "order.shipped", "2026-11-20T06:00:00Z", { shipment: { carrier: "SF", trackingNumber: "SF2" } }));
  const paid = await sendWebhook(hub, "web", statusEvent("WEB-6", "order.paid", "2026-11-20T02:10:00Z", { payment: {} }));
  expect([shipped.body.results[0].outcome, paid.body.results[0].outcome]).toEqual(["held", "held"]);
  expect(await order("WEB-6")).toBeUndefined();
  await sendWebhook(hub, "web", created("WEB-6"));
  const o = await order("WEB-6");
  expect(o.status).toBe("SHIPPED");
  const steps = o.events.filter((e: any) => e.type === "order.status_changed").map((e: any) => JSON.parse(e.data).to);
  expect(steps).toEqual(["PAID", "FULFILLING", "SHIPPED"]);
});

test("an illegal transition is a CONFLICT naming from and to, and stores nothing", async () => {
  await sendWebhook(hub, "web", created("WEB-7"));
  await sendWebhook(hub, "web", statusEvent("WEB-7", "order.cancelled", "2026-11-20T03:00:00Z"));
  const before = await countRows(hub, "orders", "channel_events");
  const r = await sendWebhook(hub, "web", statusEvent("WEB-7", "order.paid", "2026-11-20T04:00:00Z", { payment: {} }));
  expect(r.status).toBe(409);
  expect(r.body.errors[0]).toMatchObject({ extensions: { code: "CONFLICT", from: "CANCELLED", to: "PAID" } });
  expect(r.body.errors[0].message).toMatch(/CANCELLED to PAID/);
  expect(await countRows(hub, "orders", "channel_events")).toBe(before);
  expect((await order("WEB-7")).status).toBe("CANCELLED");
});

test("the raw payload of every accepted event is kept and linked to the order", async () => {
  const body = JSON.stringify(created("WEB-8"), null, 2);
  await sendWebhook(hub, "web", null, { body });
  const rows = await hub.subgraphs.orders.ds.query("SELECT e.rawPayload AS raw, o.channelOrderId AS coid FROM channel_events e JOIN orders o ON o.id = e.orderId WHERE o.channelOrderId = 'WEB-8'");
  expect(rows).toEqual([{ raw: body, coid: "WEB-8" }]);
});

describe("bad deliveries are refused and change nothing", () => {
  async function unchanged(run: () => Promise<{ status: number; body: any }>, status: number, code: string) {
    const before = [await countRows(hub, "orders", "orders"), await countRows(hub, "orders", "channel_events")];
    const r = await run();
    expect(r.status).toBe(status);
    expect(r.body.errors[0].extensions.code).toBe(code);
    expect([await countRows(hub, "orders", "orders"), await countRows(hub, "orders", "channel_events")]).toEqual(before);
    return r;
  }

  test("a bad or missing signature gets 401", async () => {
    await unchanged(() => sendWebhook(hub, "web", created("BAD-1"), { secret: "whsec_" + Buffer.from("x".repeat(32)).toString("base64") }), 401, "UNAUTHENTICATED");
    await unchanged(async () => {
      const res = await fetch(hub.url.replace(/\/graphql$/, "/webhooks/web"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(created("BAD-2")) });
      return { status: res.status, body: await res.json() };
    }, 401, "UNAUTHENTICATED");
  });

  test("a replay older than 5 minutes gets 401", async () => {
    await unchanged(() => sendWebhook(hub, "web", created("BAD-3"), { timestamp: new Date(Date.now() - 6 * 60_000) }), 401, "UNAUTHENTICATED");
  });

  test("an unknown channel gets 404", async () => {
    await unchanged(() => sendWebhook(hub, "amazon", created("BAD-4")), 404, "NOT_FOUND");
  });

  test("a signed internal call for a name that is not a channel gets 404, inherited names such as constructor included", async () => {
    const { internalSecret } = JSON.parse(readFileSync(path.join(hub.dataDir, "demo-keys.json"), "utf8"));
    const body = JSON.stringify(created("BAD-proto"));
    const principal = encodePrincipal({ sub: "webhook:web", roles: ["channel"], channel: Channel.WEB });
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "amazon"]) {
      await unchanged(async () => {
        const res = await fetch(new URL(`/internal/channel-events/${name}`, hub.subgraphs.orders.url), {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...signInternalRequest(internalSecret, principal, { service: "orders", method: "POST", target: `/internal/channel-events/${name}`, body }),
          },
          body,
        });
        return { status: res.status, body: await res.json() };
      }, 404, "NOT_FOUND");
    }
  });

  test("malformed JSON gets 400", async () => {
    await unchanged(() => sendWebhook(hub, "web", null, { body: "{ not json" }), 400, "BAD_REQUEST");
  });

  test.each([
    ["a missing field", (e: any) => delete e.order.lines],
    ["a negative quantity", (e: any) => (e.order.lines[0].quantity = -2)],
    ["an unknown currency", (e: any) => (e.order.currency = "ABC")],
    ["a time without zone", (e: any) => (e.occurredAt = "2026-11-20 10:00:00")],
    ["an unknown event type", (e: any) => (e.type = "order.teleported")],
  ])("%s gets 400 BAD_USER_INPUT", async (_what, mutate) => {
    const evt = created(unique("BAD"));
    mutate(evt);
    await unchanged(() => sendWebhook(hub, "web", evt), 400, "BAD_USER_INPUT");
  });

  test("an oversized body gets 413", async () => {
    const evt = created("BAD-9");
    (evt.order as any).note = "x".repeat(1_100_000);
    await unchanged(() => sendWebhook(hub, "web", evt), 413, "PAYLOAD_TOO_LARGE");
  });
});

describe("order.updated", () => {
  const ORDER = "query($f: OrderFilter) { orders(first: 1, filter: $f) { edges { node { id updatedAt promisedDeliveryBy shippingAddress { province city district detail } events { type source data } } } } }";
  const get = async (channelOrderId: string) => (await hub.ok(ORDER, { f: { channelOrderId } })).orders.edges[0].node;
  const updated = (channelOrderId: string, occurredAt: string, order: Record<string, unknown>) => ({ eventId: unique("evt"), type: "order.updated", occurredAt, order: { channelOrderId, ...order } });
  const address = { province: "浙江省", city: "杭州市", district: "西湖区", detail: "文三路2号" };

  test("a change appends order.updated to the history with what changed, and other subgraphs get the event", async () => {
    await sendWebhook(hub, "web", created("WEB-UPD-1"));
    const r = await sendWebhook(hub, "web", updated("WEB-UPD-1", "2026-11-20T03:00:00Z", { buyer: { channelCustomerId: "web-wh-1", address }, promisedDeliveryBy: "2026-11-23T12:00:00+08:00" }));
    expect(r.body.results[0]).toMatchObject({ outcome: "applied" });
    const o = await get("WEB-UPD-1");
    expect(o).toMatchObject({ shippingAddress: address, promisedDeliveryBy: "2026-11-23T04:00:00.000Z" });
    expect(o.events.map((e: any) => e.type)).toEqual(["order.created", "order.updated"]);
    expect(o.events[1].source).toBe("web");
    expect(JSON.parse(o.events[1].data)).toMatchObject({ changed: ["shippingAddress", "promisedDeliveryBy"], shippingAddress: address, promisedDeliveryBy: "2026-11-23T04:00:00.000Z" });
    await hub.settle();
    const unpublished = await hub.subgraphs.orders.ds.query("SELECT COUNT(*) AS n FROM outbox_events WHERE type = 'order.updated' AND publishedAt IS NULL");
    expect(Number(unpublished[0].n)).toBe(0);
  });

  test("an update that changes nothing appends nothing and leaves the order as it was", async () => {
    await sendWebhook(hub, "web", created("WEB-UPD-2"));
    await sendWebhook(hub, "web", updated("WEB-UPD-2", "2026-11-20T03:00:00Z", { buyer: { channelCustomerId: "web-wh-1", address } }));
    const before = await get("WEB-UPD-2");
    const same = await sendWebhook(hub, "web", updated("WEB-UPD-2", "2026-11-20T04:00:00Z", { buyer: { channelCustomerId: "web-wh-1", address: { ...address } } }));
    expect(same.status).toBe(200);
    expect(same.body.results[0]).toMatchObject({ outcome: "ignored", note: "nothing changed" });
    expect(await get("WEB-UPD-2")).toEqual(before);
    // The same data with an older time stays ignored too, and an older different address does not overwrite it.
    const older = await sendWebhook(hub, "web", updated("WEB-UPD-2", "2026-11-20T03:30:00Z", { buyer: { channelCustomerId: "web-wh-1", address: { ...address, detail: "旧地址" } } }));
    expect(older.body.results[0]).toMatchObject({ outcome: "ignored" });
    expect(await get("WEB-UPD-2")).toEqual(before);
  });
});

describe("held events", () => {
  const orders = () => hub.subgraphs.orders.ds;
  const heldRows = async (channelOrderId: string) =>
    orders().query("SELECT status, note FROM channel_events WHERE channelOrderId = ? ORDER BY id", [channelOrderId]) as Promise<Array<{ status: string; note: string | null }>>;

  test("a held event the lifecycle refuses by then is rolled back alone and kept as ignored, with the reason", async () => {
    await sendWebhook(hub, "web", statusEvent("WEB-HELD-1", "order.cancelled", "2026-11-20T03:00:00Z"));
    await sendWebhook(hub, "web", statusEvent("WEB-HELD-1", "order.paid", "2026-11-20T04:00:00Z", { payment: {} }));
    const r = await sendWebhook(hub, "web", created("WEB-HELD-1"));
    expect(r.status).toBe(200);
    const o = await order("WEB-HELD-1");
    expect(o.status).toBe("CANCELLED");
    expect(o.events.map((e: any) => e.type)).toEqual(["order.created", "order.status_changed"]);
    expect(await heldRows("WEB-HELD-1")).toEqual([
      { status: "APPLIED", note: null },
      { status: "IGNORED", note: "An order cannot go from CANCELLED to PAID." },
      { status: "APPLIED", note: null },
    ]);
  });

  describe("a held event that fails midway in the database", () => {
    // The warehouse hand-off is the last write of applying a payment: failing it leaves the
    // status changes before it written, unless the whole apply is undone.
    const sqlite = !process.env.MYSQL_URL;
    const createTrigger = sqlite
      ? "CREATE TRIGGER fail_handoff BEFORE INSERT ON outbox_events WHEN NEW.type = 'order.fulfillment_requested' AND NEW.payload LIKE '%SKU-HF%' BEGIN SELECT RAISE(ABORT, 'hand-off refused'); END"
      : "CREATE TRIGGER fail_handoff BEFORE INSERT ON outbox_events FOR EACH ROW BEGIN IF NEW.type = 'order.fulfillment_requested' AND NEW.payload LIKE '%SKU-HF%' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'hand-off refused'; END IF; END";
    afterEach(() => orders().query("DROP TRIGGER IF EXISTS fail_handoff"));

    test("fails the whole delivery, keeps none of it, and the same delivery succeeds when sent again", async () => {
      await createProduct(hub, "HF-1", [{ channel: "WEB", channelSkuId: "SKU-HF" }]);
      await sendWebhook(hub, "web", statusEvent("WEB-HF-1", "order.paid", "2026-11-20T02:05:00Z", { payment: {} }));
      const creation = created("WEB-HF-1", {});
      creation.order.lines = [{ channelSkuId: "SKU-HF", quantity: 1, unitPrice: "50.00" }];
      const before = [await countRows(hub, "orders", "orders"), await countRows(hub, "orders", "channel_events"), await countRows(hub, "orders", "outbox_events")];
      await orders().query(createTrigger);

      const failed = await sendWebhook(hub, "web", creation);
      expect(failed.status).toBeGreaterThanOrEqual(500);
      expect([await countRows(hub, "orders", "orders"), await countRows(hub, "orders", "channel_events"), await countRows(hub, "orders", "outbox_events")]).toEqual(before);
      expect(await heldRows("WEB-HF-1")).toEqual([{ status: "HELD", note: null }]);

      await orders().query("DROP TRIGGER fail_handoff");
      const again = await sendWebhook(hub, "web", creation);
      expect(again.status).toBe(200);
      expect(again.body.results[0].outcome).toBe("applied");
      const o = await order("WEB-HF-1");
      expect(o.status).toBe("FULFILLING");
      expect(o.events.map((e: any) => e.type)).toEqual(["order.created", "order.status_changed", "order.status_changed", "order.fulfillment_requested"]);
      expect((await heldRows("WEB-HF-1")).map((r) => r.status)).toEqual(["APPLIED", "APPLIED"]);
    });
  });
});

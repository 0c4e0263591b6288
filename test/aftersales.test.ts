import { In } from "typeorm";
import { subscriptions } from "../subgraphs/aftersales/consumers";
import { ManualClock } from "../subgraphs/kernel/clock";
import { ServiceConsumer } from "../subgraphs/kernel/delivery";
import { DeliveryHoldRow } from "../subgraphs/kernel/delivery-holds";
import { OutboxEvent, ProcessedEvent, toHubEvent } from "../subgraphs/kernel/events";
import { countRows, customerOf, customerToken, ingest, orderInput } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

let hub: TestHub;
let order: { id: string; lines: Array<{ id: string }> };
let owner: string;
let stranger: string;
const REQUEST = "mutation($i: RequestAfterSalesInput!) { requestAfterSales(input: $i) { id status requestedAmount { amount currencyCode } lines { quantity amount { amount } } order { id } } }";

beforeAll(async () => {
  hub = await startTestHub();
  order = await ingest(hub, orderInput({ channelOrderId: "W-as-1", lines: [{ channelSkuId: "A", quantity: 3, unitPrice: "10.00", discount: "1.00" }] }));
  const other = await ingest(hub, orderInput({ channelOrderId: "W-as-2", buyer: { channelCustomerId: "web-stranger" } }));
  owner = await customerToken(hub, await customerOf(hub, order.id));
  stranger = await customerToken(hub, await customerOf(hub, other.id));
}, 60_000);
afterAll(() => hub?.stop());

test("a shopper requests a refund on their own order; the amount is the pro-rata share of the line", async () => {
  const r = await hub.query(REQUEST, { i: { orderId: order.id, type: "RETURN", reason: "wrong size", lines: [{ orderLineId: order.lines[0].id, quantity: 1 }] } }, owner);
  expect(r.errors).toBeUndefined();
  expect(r.data!.requestAfterSales).toMatchObject({ status: "REQUESTED", requestedAmount: { amount: "9.67", currencyCode: "CNY" }, order: { id: order.id } });
});

test("another shopper cannot request on an order that is not theirs, and nothing is written", async () => {
  const before = await countRows(hub, "aftersales", "after_sales_cases");
  const r = await hub.query(REQUEST, { i: { orderId: order.id, type: "RETURN", reason: "mine now", lines: [{ orderLineId: order.lines[0].id, quantity: 1 }] } }, stranger);
  expect(r.errors![0].extensions!.code).toBe("NOT_FOUND");
  expect(await countRows(hub, "aftersales", "after_sales_cases")).toBe(before);
});

test("concurrent requests never claim more units than were bought", async () => {
  // 2 units are left on the line; six staff requests race for one unit each.
  const results = await Promise.all(
    Array.from({ length: 6 }, () =>
      hub.query(REQUEST, { i: { orderId: order.id, type: "REFUND_ONLY", reason: "race", lines: [{ orderLineId: order.lines[0].id, quantity: 1 }] } }, hub.admin),
    ),
  );
  const ok = results.filter((r) => !r.errors);
  const conflicts = results.filter((r) => r.errors?.[0].extensions?.code === "CONFLICT");
  expect(ok).toHaveLength(2);
  expect(conflicts).toHaveLength(4);
  // The three claimed units add up exactly to the line's net amount (29.00).
  const cases = await hub.ok<{ order: { afterSalesCases: Array<{ requestedAmount: { amount: string } }> } }>(
    "query($id: ID!) { order(id: $id) { afterSalesCases { requestedAmount { amount } } } }",
    { id: order.id },
  );
  const total = cases.order.afterSalesCases.reduce((sum, c) => sum + Math.round(Number(c.requestedAmount.amount) * 100), 0);
  expect(total).toBe(2900);
});

describe("after-sales needs a paid order", () => {
  const TRANSITION = "mutation($id: ID!, $to: OrderStatus!) { transitionOrder(id: $id, to: $to) { status } }";
  const requestOn = (o: { id: string; lines: Array<{ id: string }> }, token: string) =>
    hub.query(REQUEST, { i: { orderId: o.id, type: "REFUND_ONLY", reason: "changed my mind", lines: [{ orderLineId: o.lines[0].id, quantity: 1 }] } }, token);

  test("an unpaid order is refused with CONFLICT naming its status, nothing is written; once paid it is accepted", async () => {
    const unpaid = await ingest(hub, orderInput({ channelOrderId: "W-as-unpaid", status: "PENDING_PAYMENT", lines: [{ channelSkuId: "A", quantity: 1, unitPrice: "10.00" }] }));
    await hub.settle();
    const before = await countRows(hub, "aftersales", "after_sales_cases");
    for (const token of [owner, hub.admin]) {
      const r = await requestOn(unpaid, token);
      expect(r.errors![0]).toMatchObject({ extensions: { code: "CONFLICT", orderStatus: "PENDING_PAYMENT", field: "orderId" } });
      expect(r.errors![0].message).toMatch(/needs a paid order.*PENDING_PAYMENT.*not been paid/);
    }
    expect(await countRows(hub, "aftersales", "after_sales_cases")).toBe(before);

    await hub.ok(TRANSITION, { id: unpaid.id, to: "PAID" });
    await hub.settle();
    const r = await requestOn(unpaid, owner);
    expect(r.errors).toBeUndefined();
    expect(r.data!.requestAfterSales).toMatchObject({ status: "REQUESTED", requestedAmount: { amount: "10.00" } });
  });

  test("a cancelled order is refused with CONFLICT naming its status, and nothing is written", async () => {
    const cancelled = await ingest(hub, orderInput({ channelOrderId: "W-as-cancelled", lines: [{ channelSkuId: "A", quantity: 1, unitPrice: "10.00" }] }));
    await hub.ok(TRANSITION, { id: cancelled.id, to: "CANCELLED" });
    await hub.settle();
    const before = await countRows(hub, "aftersales", "after_sales_cases");
    const r = await requestOn(cancelled, owner);
    expect(r.errors![0]).toMatchObject({ extensions: { code: "CONFLICT", orderStatus: "CANCELLED" } });
    expect(r.errors![0].message).toMatch(/cancelled/);
    expect(await countRows(hub, "aftersales", "after_sales_cases")).toBe(before);
  });
});

describe("order statuses delivered out of order", () => {
  test("a status change arriving before its order.created is held, then applied once the order.created has arrived and the retry runs: nothing lost, the cancelled order is refused", async () => {
    const late = await ingest(hub, orderInput({ channelOrderId: "W-as-late", lines: [{ channelSkuId: "A", quantity: 1, unitPrice: "10.00" }] }));
    await hub.ok("mutation($id: ID!) { transitionOrder(id: $id, to: CANCELLED) { status } }", { id: late.id });
    await hub.settle();
    const rows = await hub.subgraphs.orders.ds.getRepository(OutboxEvent).find({ where: { aggregateId: late.id }, order: { sequence: "ASC" } });
    const created = rows.filter((r) => r.type === "order.created").map(toHubEvent);
    const statuses = rows.filter((r) => r.type === "order.status_changed").map(toHubEvent);
    expect(created).toHaveLength(1);
    expect(statuses.length).toBeGreaterThan(0);

    // After-sales as it was before any of this order's events reached it; a bus that delivers them out of order.
    const as = hub.subgraphs.aftersales;
    const orderKey = Number(late.id.split("/").pop());
    await as.ds.query("DELETE FROM order_refs WHERE orderKey = ?", [orderKey]);
    await as.ds.getRepository(ProcessedEvent).delete({ eventId: In(rows.map((r) => r.id)) });
    const clock = new ManualClock();
    const consumer = new ServiceConsumer(as.ds, "aftersales", subscriptions(), as.relay, { clock });

    // Held, not thrown back at the bus: events of other orders go on meanwhile.
    for (const e of statuses) await consumer.deliver(e);
    const held = await as.ds.getRepository(DeliveryHoldRow).find({ where: { aggregateId: late.id }, order: { sequence: "ASC" } });
    expect(held.map((h) => h.eventId)).toEqual(statuses.map((e) => e.id));
    expect(held[0].lastError).toMatch(/before its order\.created/);
    await consumer.deliver(created[0]);
    // The snapshot's own status: the held changes are not applied behind the retry's back.
    expect((await as.ds.query("SELECT status FROM order_refs WHERE orderKey = ?", [orderKey]))[0].status).toBe(created[0].payload.status);

    clock.advance(3_600_000);
    await consumer.queues.retryDue();
    expect(await as.ds.getRepository(DeliveryHoldRow).countBy({ aggregateId: late.id })).toBe(0);
    expect((await as.ds.query("SELECT status FROM order_refs WHERE orderKey = ?", [orderKey]))[0].status).toBe("CANCELLED");

    const r = await hub.query(REQUEST, { i: { orderId: late.id, type: "REFUND_ONLY", reason: "late", lines: [{ orderLineId: late.lines[0].id, quantity: 1 }] } }, hub.admin);
    expect(r.errors![0]).toMatchObject({ extensions: { code: "CONFLICT", orderStatus: "CANCELLED" } });
  });
});

import "reflect-metadata";
import { ManualClock } from "../subgraphs/kernel/clock";
import { Channel } from "../subgraphs/kernel/types";
import { ExceptionKind, OrderExceptionRow, OrderRow } from "../subgraphs/orders/entities";
import { SLA_BATCH } from "../subgraphs/orders/sla";
import { OrderStatus } from "../subgraphs/orders/status";
import { createProduct, ingest, orderInput, sendWebhook, unique } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

const clock = new ManualClock(new Date("2026-11-20T02:00:00Z"));
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ SLA_MINUTES: "30", SLA_OVERRIDES: "SHIPPED=4320,TAOBAO:PENDING_PAYMENT=5" }, { clock });
  await createProduct(hub, "CUP-1", [{ channel: "WEB", channelSkuId: "SKU-A" }, { channel: "TAOBAO", channelSkuId: "TB-A" }]);
}, 60_000);
afterAll(() => hub?.stop());

const ORDER = `query($id: ID!) { order(id: $id) { id status onHold holdReason
  priority { level score reasons }
  exceptions { id kind stage detail resolvedAt resolvedBy resolution }
  events { type actor data } } }`;
const get = async (id: string) => (await hub.ok(ORDER, { id })).order;
const TRANSITION = "mutation($id: ID!, $to: OrderStatus!, $reason: String) { transitionOrder(id: $id, to: $to, reason: $reason) { status } }";
const sla = () => hub.subgraphs.orders.jobs.sla.runOnce();

test("staff move orders by the lifecycle table; an illegal move is a CONFLICT naming from and to", async () => {
  const o = await ingest(hub, orderInput({ channelOrderId: unique("W") }));
  const warehouse = await hub.token(["warehouse"]);
  expect((await hub.ok(TRANSITION, { id: o.id, to: "SHIPPED" }, warehouse)).transitionOrder.status).toBe("SHIPPED");
  const back = await hub.query(TRANSITION, { id: o.id, to: "PAID" }, warehouse);
  expect(back.errors![0]).toMatchObject({ message: "An order cannot go from SHIPPED to PAID.", extensions: { code: "CONFLICT", from: "SHIPPED", to: "PAID" } });
  const bi = await hub.token(["bi_analyst"]);
  expect((await hub.query(TRANSITION, { id: o.id, to: "DELIVERED" }, bi)).errors![0].extensions!.code).toBe("FORBIDDEN");
  const history = (await get(o.id)).events.filter((e: any) => e.type === "order.status_changed").map((e: any) => JSON.parse(e.data).to);
  expect(history).toEqual(["PAID", "FULFILLING", "SHIPPED"]);
});

test("concurrent moves of one order apply one after another, never both from the same state", async () => {
  const o = await ingest(hub, orderInput({ channelOrderId: unique("W") }));
  const admin = hub.admin;
  const results = await Promise.all([hub.query(TRANSITION, { id: o.id, to: "SHIPPED" }, admin), hub.query(TRANSITION, { id: o.id, to: "CANCELLED" }, admin)]);
  const ok = results.filter((r) => !r.errors);
  expect(ok).toHaveLength(1);
  expect(results.find((r) => r.errors)!.errors![0].extensions!.code).toBe("CONFLICT");
});

test("a held order is paused: no hand-off to fulfillment, no SLA breach; release resumes it", async () => {
  const supervisor = await hub.token(["cs_supervisor"], "staff:lin");
  const o = await ingest(hub, orderInput({ channelOrderId: "W-hold-1", status: "PENDING_PAYMENT" }));
  const held = await hub.ok("mutation($id: ID!) { holdOrder(id: $id, reason: \"address check\") { onHold holdReason } }", { id: o.id }, supervisor);
  expect(held.holdOrder).toEqual({ onHold: true, holdReason: "address check" });
  await sendWebhook(hub, "web", { eventId: unique("e"), type: "order.paid", occurredAt: clock.now().toISOString(), order: { channelOrderId: "W-hold-1" }, payment: {} });
  expect((await get(o.id)).status).toBe("PAID");
  clock.advance(60 * 60_000);
  await sla();
  expect((await get(o.id)).exceptions).toEqual([]);
  const released = await hub.ok("mutation($id: ID!) { releaseOrder(id: $id) { status onHold } }", { id: o.id }, supervisor);
  expect(released.releaseOrder).toEqual({ status: "FULFILLING", onHold: false });
  const history = (await get(o.id)).events;
  expect(history.filter((e: any) => ["order.held", "order.released"].includes(e.type)).map((e: any) => [e.type, e.actor])).toEqual([
    ["order.held", "staff:lin"],
    ["order.released", "staff:lin"],
  ]);
  const agent = await hub.token(["cs_agent"]);
  expect((await hub.query("mutation($id: ID!) { holdOrder(id: $id, reason: \"x\") { id } }", { id: o.id }, agent)).errors![0].extensions!.code).toBe("FORBIDDEN");
});

test("an order that sits past its stage's SLA gets one SLA_BREACH naming the stage; per-channel SLAs apply", async () => {
  const web = await ingest(hub, orderInput({ channelOrderId: unique("W"), status: "PENDING_PAYMENT" }));
  const taobao = await ingest(hub, orderInput({ channel: "TAOBAO", channelOrderId: unique("T"), status: "PENDING_PAYMENT", buyer: { channelCustomerId: "tb-1" }, lines: [{ channelSkuId: "TB-A", quantity: 1, unitPrice: "9.00" }] }));
  clock.advance(6 * 60_000);
  await sla();
  expect((await get(web.id)).exceptions).toEqual([]);
  expect((await get(taobao.id)).exceptions).toMatchObject([{ kind: "SLA_BREACH", stage: "PENDING_PAYMENT", resolvedAt: null }]);
  clock.advance(25 * 60_000);
  await sla();
  await sla();
  const breaches = (await get(web.id)).exceptions;
  expect(breaches).toHaveLength(1);
  expect(breaches[0]).toMatchObject({ kind: "SLA_BREACH", stage: "PENDING_PAYMENT" });
  expect(breaches[0].detail).toMatch(/30-minute SLA/);

  const queue = await hub.ok("{ orderExceptions(first: 100, filter: { kind: SLA_BREACH, open: true }) { edges { node { id stage order { id } } } } }");
  expect(queue.orderExceptions.edges.map((e: any) => e.node.order.id)).toEqual(expect.arrayContaining([web.id, taobao.id]));

  const agent = await hub.token(["cs_agent"], "staff:chen");
  const resolved = await hub.ok("mutation($id: ID!) { resolveOrderException(id: $id, note: \"called the buyer\") { resolvedAt resolvedBy resolution } }", { id: breaches[0].id }, agent);
  expect(resolved.resolveOrderException).toEqual({ resolvedAt: clock.now().toISOString(), resolvedBy: "staff:chen", resolution: "called the buyer" });
  clock.advance(60 * 60_000);
  await sla();
  expect((await get(web.id)).exceptions).toHaveLength(1);
});

test("a backlog of more than 1,000 breached orders hides no new breach: every late order gets one in the same run", async () => {
  const ds = hub.subgraphs.orders.ds;
  const since = new Date(clock.now().getTime() - 10 * 24 * 3600_000);
  const BREACHED = 1_100;
  const LATE = SLA_BATCH + 10; // more late orders than one batch holds
  // The backlog goes straight into the orders database: 1,600 orders through the API would only make the test slow.
  const rows = Array.from({ length: BREACHED + LATE }, (_, i) => ({
    channel: Channel.POS,
    channelOrderId: `SLA-BACKLOG-${i}`,
    status: OrderStatus.PAID,
    placedAt: since,
    buyerChannelCustomerId: "walk-in:S1",
    currency: "CNY",
    subtotalMinor: 100,
    discountMinor: 0,
    shippingMinor: 0,
    totalMinor: 100,
    shippingAddress: null,
    promisedDeliveryBy: null,
    // The breached ones are the oldest: a scan of the oldest candidates sees only them.
    statusChangedAt: new Date(since.getTime() + i * 1000),
    sourceUpdatedAt: since,
    onHold: false,
    holdReason: null,
    number: null,
  }));
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += 200) {
    await ds.createQueryBuilder().insert().into(OrderRow).values(rows.slice(i, i + 200)).execute();
  }
  for (const r of await ds.getRepository(OrderRow).find({ select: { id: true, channelOrderId: true }, where: { channel: Channel.POS }, order: { statusChangedAt: "ASC" } })) {
    if (r.channelOrderId.startsWith("SLA-BACKLOG-")) ids.push(r.id);
  }
  expect(ids).toHaveLength(BREACHED + LATE);
  const breaches = ids.slice(0, BREACHED).map((orderId) => ({ orderId, kind: ExceptionKind.SLA_BREACH, stage: "PAID", detail: "backlog", openedAt: since }));
  for (let i = 0; i < breaches.length; i += 200) {
    await ds.createQueryBuilder().insert().into(OrderExceptionRow).values(breaches.slice(i, i + 200)).execute();
  }

  const fresh = await ingest(hub, orderInput({ channelOrderId: unique("W"), status: "PENDING_PAYMENT" }));
  clock.advance(31 * 60_000);
  await sla();

  expect((await get(fresh.id)).exceptions).toMatchObject([{ kind: "SLA_BREACH", stage: "PENDING_PAYMENT", resolvedAt: null }]);
  const perOrder = await ds
    .getRepository(OrderExceptionRow)
    .createQueryBuilder("x")
    .select("x.orderId", "orderId")
    .addSelect("COUNT(*)", "n")
    .where("x.orderId IN (:...ids)", { ids })
    .andWhere("x.kind = :kind", { kind: ExceptionKind.SLA_BREACH })
    .groupBy("x.orderId")
    .getRawMany<{ orderId: number; n: number | string }>();
  // Every backlog order has exactly one breach: the old ones kept theirs, the late ones got one.
  expect(perOrder).toHaveLength(BREACHED + LATE);
  expect(perOrder.every((r) => Number(r.n) === 1)).toBe(true);
  expect(await sla()).toBe(0);
}, 120_000);

test("a line whose SKU maps to no product holds a paid order in the queue until it is mapped", async () => {
  const o = await ingest(hub, orderInput({ channelOrderId: unique("W"), lines: [{ channelSkuId: "SKU-NEW", quantity: 1, unitPrice: "20.00" }] }));
  let order = await get(o.id);
  expect(order.status).toBe("PAID");
  expect(order.exceptions).toMatchObject([{ kind: "UNMAPPED_SKU", resolvedAt: null }]);
  expect(order.exceptions[0].detail).toMatch(/SKU-NEW/);
  await createProduct(hub, "NEW-1", [{ channel: "WEB", channelSkuId: "SKU-NEW" }]);
  order = await get(o.id);
  expect(order.status).toBe("FULFILLING");
  expect(order.exceptions[0]).toMatchObject({ resolvedBy: "system" });
});

test("priority follows the rules table and says why", async () => {
  const big = await ingest(
    hub,
    orderInput({
      channelOrderId: unique("W"),
      buyer: { channelCustomerId: "web-priority-1", name: "Big Spender", phone: "13900000001" },
      promisedDeliveryBy: new Date(clock.now().getTime() + 5 * 3600_000).toISOString(),
      lines: [{ channelSkuId: "SKU-A", quantity: 2, unitPrice: "600.00" }],
    }),
  );
  await hub.settle(); // the paid order lifts the buyer's hub-wide tier, which orders learns by event
  const p = (await get(big.id)).priority;
  expect(p).toEqual({ level: "URGENT", score: 80, reasons: ["order total 1208.00 CNY is at least 1000", "customer tier SILVER", "promised delivery within 5 h"] });
  const small = await ingest(hub, orderInput({ channelOrderId: unique("W"), buyer: { channelCustomerId: "web-priority-2", name: "Small Spender", phone: "13900000002" }, lines: [{ channelSkuId: "SKU-A", quantity: 1, unitPrice: "5.00" }] }));
  expect((await get(small.id)).priority).toEqual({ level: "NORMAL", score: 0, reasons: [] });
});

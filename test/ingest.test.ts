import { countRows, customerOf, ingest, orderInput } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
}, 60_000);
afterAll(() => hub?.stop());

const INGEST = "mutation($i: IngestOrderInput!) { ingestOrder(input: $i) { id number placedAt total { amount currencyCode } subtotal { amount } discount { amount } shippingFee { amount } } }";

test("an order is stored in UTC with exact totals in minor units", async () => {
  const r = await hub.ok(
    INGEST,
    {
      i: orderInput({
        channelOrderId: "W-utc-1",
        placedAt: "2026-11-02T00:30:00+08:00",
        lines: [
          { channelSkuId: "A", quantity: 3, unitPrice: "33.33", discount: "0.99" },
          { channelSkuId: "B", quantity: 1, unitPrice: "0.01" },
        ],
      }),
    },
    hub.channel,
  );
  expect(r.ingestOrder).toMatchObject({
    placedAt: "2026-11-01T16:30:00.000Z",
    subtotal: { amount: "100.00" },
    discount: { amount: "0.99" },
    shippingFee: { amount: "8.00" },
    total: { amount: "107.01", currencyCode: "CNY" },
  });
});

test("a currency without minor units keeps whole amounts", async () => {
  const r = await hub.ok(INGEST, { i: orderInput({ channelOrderId: "W-jpy-1", currency: "JPY", shippingFee: "500", lines: [{ channelSkuId: "A", quantity: 2, unitPrice: "1200" }] }) }, hub.channel);
  expect(r.ingestOrder.total).toEqual({ amount: "2900", currencyCode: "JPY" });
});

test("the same order delivered concurrently is stored once", async () => {
  const input = orderInput({ channelOrderId: "W-dup-1" });
  const before = await countRows(hub, "orders", "orders");
  const results = await Promise.all(Array.from({ length: 8 }, () => hub.query(INGEST, { i: input }, hub.channel)));
  for (const r of results) expect(r.errors).toBeUndefined();
  expect(new Set(results.map((r) => r.data!.ingestOrder.id)).size).toBe(1);
  expect(await countRows(hub, "orders", "orders")).toBe(before + 1);
  await hub.settle();
  const events = await hub.subgraphs.orders.ds.query("SELECT COUNT(*) AS n FROM outbox_events WHERE aggregateId = ? AND type = 'order.created'", [results[0].data!.ingestOrder.id]);
  expect(Number(events[0].n)).toBe(1);
});

test("a new buyer becomes a golden customer with a normalized phone, once", async () => {
  const a = await ingest(hub, orderInput({ channelOrderId: "W-buyer-1", buyer: { channelCustomerId: "web-li", name: " 李四 ", phone: "0086 139-0013-9000" } }));
  const b = await ingest(hub, orderInput({ channelOrderId: "W-buyer-2", buyer: { channelCustomerId: "web-li", name: "李四", phone: "+86 13900139000" } }));
  const customer = await customerOf(hub, a.id);
  expect(await customerOf(hub, b.id)).toBe(customer);
  const d = await hub.ok("query($id: ID!) { customer(id: $id) { displayName phone identities { channel channelCustomerId } } }", { id: customer });
  expect(d.customer).toEqual({ displayName: "李四", phone: "+8613900139000", identities: [{ channel: "WEB", channelCustomerId: "web-li" }] });
});

test("redelivering an event to a consumer changes nothing", async () => {
  const o = await ingest(hub, orderInput({ channelOrderId: "W-redeliver-1", buyer: { channelCustomerId: "web-redeliver" } }));
  await hub.settle();
  const customersBefore = await countRows(hub, "customers", "customers");
  // Mark the outbox as unpublished: the relay delivers everything again.
  await hub.subgraphs.orders.ds.query("UPDATE outbox_events SET publishedAt = NULL");
  await hub.subgraphs.customers.ds.query("UPDATE outbox_events SET publishedAt = NULL");
  await hub.settle();
  expect(await countRows(hub, "customers", "customers")).toBe(customersBefore);
  expect(await customerOf(hub, o.id)).toMatch(/^gid:\/\/orderhub\/Customer\//);
});

test("concurrent changes to one aggregate get consecutive history sequence numbers", async () => {
  await hub.ok("mutation { upsertProduct(input: { sku: \"SEQ-1\", title: \"Seq\" }) { id } }");
  const channels = ["TAOBAO", "JD", "DOUYIN", "WEB", "POS"];
  const results = await Promise.all(
    channels.map((channel) => hub.query("mutation($i: MapChannelSkuInput!) { mapChannelSku(input: $i) { id } }", { i: { channel, channelSkuId: `seq-${channel}`, sku: "SEQ-1" } }, hub.admin)),
  );
  for (const r of results) expect(r.errors).toBeUndefined();
  const id = results[0].data!.mapChannelSku.id;
  const rows = await hub.subgraphs.products.ds.query("SELECT sequence, type FROM outbox_events WHERE aggregateId = ? ORDER BY sequence", [id]);
  // product.created first, then the five mappings.
  expect(rows.map((r: { sequence: number; type: string }) => [Number(r.sequence), r.type])).toEqual([
    [1, "product.created"],
    ...channels.map((_, i) => [i + 2, "product.channel_sku_mapped"]),
  ]);
});

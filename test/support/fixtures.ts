import type { TestHub } from "./hub";

/** Builders that create data through the public API, as channels and staff do. */
let counter = 0;
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

export async function createProduct(hub: TestHub, sku: string, mappings: Array<{ channel: string; channelSkuId: string }> = []) {
  await hub.ok("mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id } }", { i: { sku, title: `Product ${sku}` } });
  for (const m of mappings) {
    await hub.ok("mutation($i: MapChannelSkuInput!) { mapChannelSku(input: $i) { id } }", { i: { ...m, sku } });
  }
}

export function orderInput(overrides: Record<string, unknown> = {}) {
  return {
    channel: "WEB",
    channelOrderId: unique("W"),
    placedAt: "2026-11-01T08:00:00Z",
    currency: "CNY",
    status: "PAID",
    buyer: { channelCustomerId: "web-shopper-1", name: "张三", phone: "13800138000" },
    shippingAddress: { province: "北京市", city: "北京市", district: "朝阳区", detail: "建国路1号" },
    shippingFee: "8.00",
    lines: [{ channelSkuId: "SKU-A", title: "保温杯", quantity: 2, unitPrice: "99.90", discount: "10.00" }],
    ...overrides,
  };
}

export async function ingest(hub: TestHub, input: Record<string, unknown>) {
  const data = await hub.ok<{ ingestOrder: { id: string; lines: Array<{ id: string }> } }>(
    "mutation($i: IngestOrderInput!) { ingestOrder(input: $i) { id lines { id } } }",
    { i: input },
    hub.channel,
  );
  return data.ingestOrder;
}

/** The golden customer ID behind a channel buyer, once the events have been applied. */
export async function customerOf(hub: TestHub, orderId: string): Promise<string> {
  await hub.settle();
  const d = await hub.ok<{ order: { customer: { id: string } | null } }>("query($id: ID!) { order(id: $id) { customer { id } } }", { id: orderId });
  if (!d.order.customer) throw new Error(`order ${orderId} has no customer yet`);
  return d.order.customer.id;
}

export async function customerToken(hub: TestHub, customerId: string) {
  return hub.token(["customer"], customerId);
}

export async function countRows(hub: TestHub, subgraph: keyof TestHub["subgraphs"], table: string): Promise<number> {
  const rows = await hub.subgraphs[subgraph].ds.query(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(rows[0].n);
}

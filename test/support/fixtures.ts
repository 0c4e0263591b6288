import { readFileSync } from "node:fs";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import type { TestHub } from "./hub";

/** Builders that create data through the public API, as channels and staff do. */
let counter = 0;
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

/** A channel's example payload from test/fixtures/webhooks (as documented in FORMATS.md). */
export const webhookFixture = (name: string) => JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "webhooks", `${name}.json`), "utf8"));

export async function createProduct(hub: TestHub, sku: string, mappings: Array<{ channel: string; channelSkuId: string }> = []) {
  await hub.ok("mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id } }", { i: { sku, title: `Product ${sku}` } });
  for (const m of mappings) {
    await hub.ok("mutation($i: MapChannelSkuInput!) { mapChannelSku(input: $i) { id } }", { i: { ...m, sku } });
  }
  await hub.settle(); // orders learns of the mappings through events
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
    hub.channels[(input.channel ?? "WEB") as keyof TestHub["channels"]],
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

/** Delivers a webhook as a channel would: Standard Webhooks headers signed with the channel's secret. */
export async function sendWebhook(
  hub: TestHub,
  channel: string,
  payload: unknown,
  options: { id?: string; timestamp?: Date; secret?: string; body?: string } = {},
) {
  const secrets = JSON.parse(readFileSync(path.join(hub.dataDir, "demo-secrets.json"), "utf8")) as Record<string, string>;
  const body = options.body ?? JSON.stringify(payload);
  const id = options.id ?? unique("msg");
  const timestamp = options.timestamp ?? new Date();
  const signature = new Webhook(options.secret ?? secrets[channel] ?? secrets.web).sign(id, timestamp, body);
  const res = await fetch(hub.url.replace(/\/graphql$/, `/webhooks/${channel}`), {
    method: "POST",
    headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)), "webhook-signature": signature },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

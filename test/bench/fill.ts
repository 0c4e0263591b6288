import type { DataSource } from "typeorm";
import { mustQuery } from "../../gateway/client";
import { Channel } from "../../subgraphs/kernel/types";
import { ingestOrder } from "../../subgraphs/orders/ingest";
import type { IncomingOrder } from "../../subgraphs/orders/intake";
import { OrderStatus } from "../../subgraphs/orders/status";

/**
 * The benchmark data set: a catalog with channel SKUs, a few hundred buyers (one
 * account each, so one golden customer each) and many orders spread over them.
 * Deterministic (fixed seed), so runs compare.
 */
export const CHANNELS = [Channel.TAOBAO, Channel.JD, Channel.DOUYIN, Channel.WEB, Channel.POS];
export const PRODUCT_COUNT = 100;
export const BUYER_COUNT = 500;

const PLACES = [
  { province: "浙江省", city: "杭州市", district: "西湖区" },
  { province: "广东省", city: "深圳市", district: "南山区" },
  { province: "北京市", city: "北京市", district: "朝阳区" },
  { province: "四川省", city: "成都市", district: "武侯区" },
];

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const productSku = (i: number) => `BENCH-${pad(i, 4)}`;
const productTitle = (i: number) => `测试商品 ${pad(i, 4)}`;
const channelSkuId = (channel: Channel, i: number) => `${channel.toLowerCase()}-${pad(i, 4)}`;

/** Buyer b lives on one channel; the phone is a valid mainland mobile so it is kept. */
function buyer(b: number) {
  const channel = CHANNELS[b % CHANNELS.length];
  return { channel, channelCustomerId: `${channel.toLowerCase()}-bench-${pad(b, 4)}`, name: `顾客${b}`, phone: `139${pad(b, 8)}` };
}

/** A buyer of the data set, as a channel sends it (webhook phase: the web channel's pool). */
export interface BenchBuyer {
  channelCustomerId: string;
  name: string;
  phone: string;
  address: { province: string; city: string; district: string; detail: string };
}

/** Every buyer of the data set who lives on `channel`, with the address their orders ship to. */
export function buyersOn(channel: Channel): BenchBuyer[] {
  return Array.from({ length: BUYER_COUNT }, (_, b) => b)
    .filter((b) => buyer(b).channel === channel)
    .map((b) => {
      const { channelCustomerId, name, phone } = buyer(b);
      return { channelCustomerId, name, phone, address: { ...PLACES[b % PLACES.length], detail: `文三路${(b % 300) + 1}号` } };
    });
}

/** The channel SKU ids the catalog maps on `channel` (index = product number). */
export function mappedSkusOn(channel: Channel): Array<{ channelSkuId: string; title: string }> {
  return Array.from({ length: PRODUCT_COUNT }, (_, p) => ({ channelSkuId: channelSkuId(channel, p), title: productTitle(p) }));
}

/** mulberry32: a tiny seeded PRNG, so the data set is the same on every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Order n. The first BUYER_COUNT orders go one to each buyer, so every customer has orders. */
function makeOrder(n: number, random: () => number, now: number): IncomingOrder {
  const b = n < BUYER_COUNT ? n : Math.floor(random() * BUYER_COUNT);
  const { channel, ...who } = buyer(b);
  const lineCount = 1 + Math.floor(random() * 3);
  const products = new Set<number>();
  while (products.size < lineCount) products.add(Math.floor(random() * PRODUCT_COUNT));
  return {
    channel,
    channelOrderId: `bench-${pad(n, 7)}`,
    placedAt: new Date(now - (n + 1) * 41_000).toISOString(),
    currency: "CNY",
    status: OrderStatus.PAID,
    buyer: { channelCustomerId: who.channelCustomerId, name: who.name, phone: who.phone },
    shippingAddress: { ...PLACES[b % PLACES.length], detail: `文三路${(b % 300) + 1}号` },
    shippingFee: "8.00",
    lines: [...products].map((p) => ({
      channelSkuId: channelSkuId(channel, p),
      title: productTitle(p),
      quantity: 1 + Math.floor(random() * 3),
      unitPrice: "99.90",
      discount: null,
    })),
  };
}

/** Runs work over items with at most `limit` in flight. */
export async function forEachLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Products and their SKU on every channel, through the gateway as an admin would. */
export async function createCatalog(gatewayUrl: string, adminToken: string): Promise<void> {
  const products = Array.from({ length: PRODUCT_COUNT }, (_, i) => i);
  await forEachLimit(products, 8, (i) =>
    mustQuery(gatewayUrl, "mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id } }", {
      i: { sku: productSku(i), title: productTitle(i), attributes: [{ name: "brand", value: "OrderHub Bench" }] },
    }, adminToken),
  );
  const mappings = products.flatMap((i) => CHANNELS.map((channel) => ({ channel, channelSkuId: channelSkuId(channel, i), sku: productSku(i) })));
  await forEachLimit(mappings, 8, (m) =>
    mustQuery(gatewayUrl, "mutation($i: MapChannelSkuInput!) { mapChannelSku(input: $i) { id } }", { i: m }, adminToken),
  );
}

/**
 * Stores `count` orders with ingestOrder, the code path of the ingestOrder mutation,
 * minus HTTP and GraphQL: filling through the API would take longer than the benchmark.
 */
export async function ingestOrders(ordersDs: DataSource, count: number, concurrency: number): Promise<void> {
  const random = seededRandom(20260101);
  const now = Date.now();
  const orders = Array.from({ length: count }, (_, n) => makeOrder(n, random, now));
  await forEachLimit(orders, concurrency, (o) => ingestOrder(ordersDs, o, "bench"));
}

import { fakerZH_CN as faker } from "@faker-js/faker";
import type { Role } from "../subgraphs/kernel/principal";
import { mustQuery } from "./client";
import type { TokenMinter } from "./demo-keys";

/**
 * A believable data set, created through the public API the way channels and staff
 * would: products and channel SKUs, shoppers with accounts on several channels,
 * orders on all five channels, and a few after-sales cases. Idempotent, so a restart
 * adds nothing, and deterministic, so the IDs in the docs exist on every machine: a
 * fixed seed, fixed placement times (before DEMO_EPOCH, not before now), and every write
 * whose key a reader sees (products, customers, identities, orders, lines, cases) made
 * one at a time in a fixed order, because concurrent inserts take their keys in
 * whatever order they commit.
 */
const CHANNELS = ["TAOBAO", "JD", "DOUYIN", "WEB", "POS"] as const;
type Channel = (typeof CHANNELS)[number];

const GOODS = ["保温杯", "蓝牙耳机", "羽绒服", "运动鞋", "面霜", "龙井茶", "坚果礼盒", "数据线", "双肩包", "台灯", "电饭煲", "床品四件套", "咖啡豆", "瑜伽垫", "儿童绘本", "行李箱", "洗发水", "机械键盘", "空气炸锅", "丝巾"];
const VARIANTS = ["经典款", "轻薄款", "升级版", "礼盒装", "大容量"];
const PLACES = [
  { province: "北京市", city: "北京市", district: "朝阳区" },
  { province: "上海市", city: "上海市", district: "浦东新区" },
  { province: "广东省", city: "广州市", district: "天河区" },
  { province: "广东省", city: "深圳市", district: "南山区" },
  { province: "浙江省", city: "杭州市", district: "西湖区" },
  { province: "四川省", city: "成都市", district: "武侯区" },
  { province: "湖北省", city: "武汉市", district: "洪山区" },
  { province: "江苏省", city: "南京市", district: "鼓楼区" },
];

/** Demo orders are placed in the 60 days before this instant. */
export const DEMO_EPOCH = new Date("2026-12-01T00:00:00Z");

export const DEMO_TOKEN_NAMES = [
  "admin", "cs_agent", "cs_supervisor", "finance", "bi_analyst", "warehouse", "customer1", "customer2",
  // A channel token acts for its own channel only.
  "channel_taobao", "channel_jd", "channel_douyin", "channel_web", "channel_pos",
] as const;

function channelSkuId(channel: Channel, i: number): string {
  switch (channel) {
    case "TAOBAO": return String(640000000000 + i);
    case "JD": return `${100012000 + i}`;
    case "DOUYIN": return String(3600000000000000 + i * 7);
    case "WEB": return `SKU-${String(i).padStart(4, "0")}`;
    case "POS": return `6901234${String(i).padStart(6, "0")}`;
  }
}

function channelCustomerId(channel: Channel, person: number): string {
  const n = String(person).padStart(4, "0");
  return { TAOBAO: `tb_buyer_${n}`, JD: `jd_${7310000 + person}`, DOUYIN: `dy${90000000 + person * 13}`, WEB: `web-${n}`, POS: `pos-member-${n}` }[channel];
}

/** Channels write phones in many shapes; the hub normalizes them. */
function phoneAsChannelWrites(mobile: string, style: number): string {
  switch (style % 4) {
    case 0: return mobile;
    case 1: return `+86 ${mobile}`;
    case 2: return `0086 ${mobile.slice(0, 3)}-${mobile.slice(3, 7)}-${mobile.slice(7)}`;
    default: return `(86)${mobile}`;
  }
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/** One at a time, in order: the keys the database hands out are then the same on every run. */
async function inOrder<T>(items: T[], work: (item: T) => Promise<unknown>) {
  for (const item of items) await work(item);
}

export interface SeedResult {
  seeded: boolean;
  tokens: Record<(typeof DEMO_TOKEN_NAMES)[number], string>;
}

export async function seedDemoData(url: string, mint: TokenMinter, settle: () => Promise<void>): Promise<SeedResult> {
  faker.seed(20261122);
  const admin = await mint({ sub: "demo:admin", roles: ["admin"] });
  const channelTokens = Object.fromEntries(
    await Promise.all(CHANNELS.map(async (c) => [c, await mint({ sub: `demo:channel:${c.toLowerCase()}`, roles: ["channel"], channel: c }, 3600)])),
  ) as Record<Channel, string>;

  const existing = await mustQuery<{ orders: { edges: unknown[] } }>(url, "{ orders(first: 1) { edges { cursor } } }", {}, admin);
  const seeded = existing.orders.edges.length === 0;

  // People: 50 shoppers; every third also buys on one or two more channels.
  const people = Array.from({ length: 50 }, (_, p) => {
    const home = CHANNELS[p % CHANNELS.length];
    const extra = p % 3 === 0 ? [CHANNELS[(p + 1) % 5], ...(p % 6 === 0 ? [CHANNELS[(p + 2) % 5]] : [])] : [];
    return {
      name: faker.person.lastName() + faker.person.firstName(),
      mobile: `1${faker.helpers.arrayElement(["38", "39", "58", "86", "77", "35"])}${faker.string.numeric(8)}`,
      channels: [home, ...extra] as Channel[],
      place: PLACES[p % PLACES.length],
      tier: p % 10 === 0 ? "GOLD" : p % 4 === 0 ? "SILVER" : "STANDARD",
    };
  });
  const products = Array.from({ length: 100 }, (_, i) => ({
    sku: `SKU-${String(i).padStart(4, "0")}`,
    title: `${GOODS[i % GOODS.length]} ${VARIANTS[Math.floor(i / GOODS.length) % VARIANTS.length]}`,
    price: faker.number.int({ min: 9, max: 899 }),
  }));

  if (seeded) {
    await inOrder(products, (p) =>
      mustQuery(url, "mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id } }", {
        i: { sku: p.sku, title: p.title, attributes: [{ name: "brand", value: "OrderHub Demo" }] },
      }, admin),
    );
    const mappings = products.flatMap((p, i) => CHANNELS.map((c) => ({ channel: c, channelSkuId: channelSkuId(c, i), sku: p.sku })));
    await inBatches(mappings, 8, (m) => mustQuery(url, "mutation($i: MapChannelSkuInput!) { mapChannelSku(input: $i) { id } }", { i: m }, admin));
    await settle(); // orders learns the mappings before the orders arrive
  }

  // Identities: the first channel creates the golden record, the others attach to it.
  const customerIds: string[] = [];
  await inOrder(people.map((p, i) => ({ p, i })), async ({ p, i }) => {
    let customerId: string | undefined;
    for (const [k, c] of p.channels.entries()) {
      const r = await mustQuery<{ registerChannelIdentity: { id: string } }>(
        url,
        "mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id } }",
        { i: { channel: c, channelCustomerId: channelCustomerId(c, i), name: p.name, phone: phoneAsChannelWrites(p.mobile, i + k), customerId, reportedTier: p.tier } },
        admin,
      );
      customerId = r.registerChannelIdentity.id;
    }
    customerIds[i] = customerId!;
  });

  if (seeded) {
    const epoch = DEMO_EPOCH.getTime();
    const orders = Array.from({ length: 220 }, (_, n) => {
      const person = n < 8 ? n % 2 : faker.number.int({ min: 0, max: people.length - 1 });
      const p = people[person];
      const c = p.channels[n % p.channels.length];
      const lineCount = faker.number.int({ min: 1, max: 3 });
      const items = faker.helpers.arrayElements(products.map((prod, i) => ({ ...prod, i })), lineCount);
      const placedAt = new Date(epoch - faker.number.int({ min: 60_000, max: 60 * 24 * 3600 * 1000 }));
      return {
        channel: c,
        channelOrderId: `${c.toLowerCase()}-demo-${String(n).padStart(5, "0")}`,
        placedAt: placedAt.toISOString(),
        currency: "CNY",
        status: n % 5 === 0 ? "PENDING_PAYMENT" : "PAID",
        buyer: { channelCustomerId: channelCustomerId(c, person), name: p.name, phone: phoneAsChannelWrites(p.mobile, n) },
        shippingAddress: { ...p.place, detail: `${faker.location.street()}${faker.number.int({ min: 1, max: 300 })}号` },
        // Demo shoppers ship to themselves.
        receiverIsBuyer: true,
        shippingFee: c === "POS" ? "0.00" : faker.helpers.arrayElement(["0.00", "8.00", "12.00"]),
        lines: items.map((it) => ({
          channelSkuId: channelSkuId(c, it.i),
          title: it.title,
          quantity: faker.number.int({ min: 1, max: 3 }),
          unitPrice: `${it.price}.${faker.helpers.arrayElement(["00", "90", "99"])}`,
          discount: faker.helpers.arrayElement([null, "5.00", "10.00"]),
        })),
      };
    });
    const created: Array<{ id: string; status: string; lines: Array<{ id: string; quantity: number }> }> = [];
    await inOrder(orders, async (o) => {
      const r = await mustQuery<{ ingestOrder: (typeof created)[number] }>(
        url,
        "mutation($i: IngestOrderInput!) { ingestOrder(input: $i) { id status lines { id quantity } } }",
        { i: o },
        channelTokens[o.channel],
      );
      created.push(r.ingestOrder);
    });
    await settle();
    // Move some orders along the lifecycle the way the warehouse would.
    const warehouse = await mint({ sub: "demo:warehouse", roles: ["warehouse"] }, 3600);
    const inFulfillment = created.filter((o) => o.status === "FULFILLING");
    const journeys: string[][] = [["SHIPPED"], ["SHIPPED", "DELIVERED"], ["SHIPPED", "DELIVERED", "COMPLETED"], ["CANCELLED"], []];
    await inOrder(inFulfillment.map((o, k) => ({ o, steps: journeys[k % journeys.length] })), async ({ o, steps }) => {
      for (const to of steps) {
        await mustQuery(url, "mutation($id: ID!, $to: OrderStatus!) { transitionOrder(id: $id, to: $to) { id } }", { id: o.id, to }, warehouse);
      }
    });
    const paid = inFulfillment.filter((_, k) => k % journeys.length === 0).slice(0, 6);
    const types = ["RETURN", "REFUND_ONLY", "EXCHANGE"];
    for (const [k, o] of paid.entries()) {
      await mustQuery(
        url,
        "mutation($i: RequestAfterSalesInput!) { requestAfterSales(input: $i) { id } }",
        { i: { orderId: o.id, type: types[k % 3], reason: ["尺码不合适", "商品破损", "颜色与描述不符"][k % 3], lines: [{ orderLineId: o.lines[0].id, quantity: 1 }] } },
        admin,
      );
    }
    await settle();
  }

  const staff: Array<[(typeof DEMO_TOKEN_NAMES)[number], Role]> = [
    ["admin", "admin"], ["cs_agent", "cs_agent"], ["cs_supervisor", "cs_supervisor"], ["finance", "finance"], ["bi_analyst", "bi_analyst"], ["warehouse", "warehouse"],
  ];
  const tokens = {} as SeedResult["tokens"];
  for (const [name, role] of staff) tokens[name] = await mint({ sub: `demo:${name}`, roles: [role] });
  tokens.customer1 = await mint({ sub: customerIds[0], roles: ["customer"] });
  tokens.customer2 = await mint({ sub: customerIds[1], roles: ["customer"] });
  for (const c of CHANNELS) tokens[`channel_${c.toLowerCase()}` as `channel_${Lowercase<Channel>}`] = await mint({ sub: `demo:channel:${c.toLowerCase()}`, roles: ["channel"], channel: c });
  return { seeded, tokens };
}

import { CatalogCache } from "../gateway/catalog-cache";
import { ProductRow } from "../subgraphs/products/entities";
import { createProduct, customerOf, customerToken, ingest, orderInput } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";
import { scrape } from "./support/metrics";

const PAGE = `query($first: Int!) { me { orders(first: $first) { edges { node { lines { channelSkuId product { sku title } } } } } } }`;

let hub: TestHub;
let shopper: string;
beforeAll(async () => {
  // A lifetime no test outlasts: what changes the answers here is a write, not the clock.
  hub = await startTestHub({ PRODUCT_CACHE_SECONDS: "3600" });
  await createProduct(hub, "CACHE-1", [{ channel: "WEB", channelSkuId: "SKU-C1" }]);
  await createProduct(hub, "CACHE-2", [{ channel: "WEB", channelSkuId: "SKU-C2" }]);
  const buyer = { channelCustomerId: "web-cache", name: "缓存", phone: "13800138111" };
  let first = "";
  for (const sku of ["SKU-C1", "SKU-C2", "SKU-C1"]) {
    const o = await ingest(hub, orderInput({ buyer, lines: [{ channelSkuId: sku, quantity: 1, unitPrice: "10.00" }] }));
    first ||= o.id;
  }
  shopper = await customerToken(hub, await customerOf(hub, first));
  await hub.settle();
}, 120_000);
afterAll(() => hub?.stop());

async function productsRequests(): Promise<number> {
  const { samples } = await scrape(hub.subgraphs.products.url);
  return samples.filter((s) => s.name === "orderhub_graphql_requests_total").reduce((n, s) => n + s.value, 0);
}

const titles = async (token = shopper) => {
  const r = await hub.query(PAGE, { first: 10 }, token);
  expect(r.errors).toBeUndefined();
  return r.data!.me.orders.edges.flatMap((e: any) => e.node.lines.map((l: any) => `${l.channelSkuId}=${l.product?.title}`));
};

test("a page whose products were just read does not ask the products subgraph again, and answers the same", async () => {
  const first = await titles();
  expect(first).toEqual(["SKU-C1=Product CACHE-1", "SKU-C2=Product CACHE-2", "SKU-C1=Product CACHE-1"]);
  const before = await productsRequests();
  expect(await titles()).toEqual(first);
  expect(await productsRequests()).toBe(before);
});

test("a catalog change through the gateway shows at once", async () => {
  await titles();
  await hub.ok("mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id } }", { i: { sku: "CACHE-1", title: "新标题" } });
  expect(await titles()).toEqual(["SKU-C1=新标题", "SKU-C2=Product CACHE-2", "SKU-C1=新标题"]);
});

test("a change made elsewhere is not seen while the answer is cached", async () => {
  await titles();
  await hub.subgraphs.products.ds.getRepository(ProductRow).update({ sku: "CACHE-2" }, { title: "库里改的" });
  expect(await titles()).toContain("SKU-C2=Product CACHE-2");
});

test("a read that began before a catalog write keeps nothing it read", () => {
  const cache = new CatalogCache(60_000);
  const keys = cache.keysOf("query($representations:[_Any!]!){_entities(representations:$representations){...on OrderLine{product{title}}}}", { representations: [{ __typename: "OrderLine", id: "1", channel: "WEB", channelSkuId: "A" }] }, ["customer"])!;
  expect(keys).toHaveLength(1);
  const sentAt = cache.currentGeneration();
  cache.clear(); // the write, while the read was under way
  cache.store(keys, [{ product: { title: "old" } }], sentAt);
  expect(cache.lookup(keys)).toBeNull();
  cache.store(keys, [{ product: { title: "new" } }], cache.currentGeneration());
  expect(cache.lookup(keys)).toEqual([{ product: { title: "new" } }]);
  // Another line selling the same channel SKU shares the answer; another role does not.
  const sameSku = cache.keysOf("query($representations:[_Any!]!){_entities(representations:$representations){...on OrderLine{product{title}}}}", { representations: [{ __typename: "OrderLine", id: "2", channel: "WEB", channelSkuId: "A" }] }, ["customer"])!;
  expect(cache.lookup(sameSku)).toEqual([{ product: { title: "new" } }]);
  const otherRole = cache.keysOf("query($representations:[_Any!]!){_entities(representations:$representations){...on OrderLine{product{title}}}}", { representations: [{ __typename: "OrderLine", id: "2", channel: "WEB", channelSkuId: "A" }] }, ["bi_analyst"])!;
  expect(cache.lookup(otherRole)).toBeNull();
});

test.each([
  ["1", "once the answer's lifetime (PRODUCT_CACHE_SECONDS) is over", 1300],
  ["0", "on the next page when PRODUCT_CACHE_SECONDS=0 turns the cache off", 0],
])("with PRODUCT_CACHE_SECONDS=%s a change made elsewhere shows %s", async (seconds, _what, waitMs) => {
  const off = await startTestHub({ PRODUCT_CACHE_SECONDS: seconds });
  try {
    await createProduct(off, "OFF-1", [{ channel: "WEB", channelSkuId: "SKU-O1" }]);
    const o = await ingest(off, orderInput({ buyer: { channelCustomerId: "web-off" }, lines: [{ channelSkuId: "SKU-O1", quantity: 1, unitPrice: "1.00" }] }));
    await off.settle();
    const token = await customerToken(off, await customerOf(off, o.id));
    await off.query(PAGE, { first: 1 }, token);
    await off.subgraphs.products.ds.getRepository(ProductRow).update({ sku: "OFF-1" }, { title: "立即可见" });
    await new Promise((r) => setTimeout(r, waitMs));
    const r = await off.query(PAGE, { first: 1 }, token);
    expect(r.data!.me.orders.edges[0].node.lines[0].product.title).toBe("立即可见");
  } finally {
    await off.stop();
  }
}, 60_000);

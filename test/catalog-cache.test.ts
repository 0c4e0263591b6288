import { readFileSync } from "node:fs";
import path from "node:path";
import { Kind, parse, type FieldDefinitionNode, type ObjectTypeDefinitionNode, type ObjectTypeExtensionNode, type TypeNode } from "graphql";
import { CatalogCache, DEPENDS_ON } from "../gateway/catalog-cache";
import { AUDIENCES, ruleFor } from "../subgraphs/kernel/visibility";
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

describe("what the cache relies on still holds", () => {
  // The products subgraph's own schema: what it answers for an entity fetch.
  const sdl = parse(readFileSync(path.join(__dirname, "..", "schema", "products.graphql"), "utf8"));
  const types = new Map<string, ObjectTypeDefinitionNode | ObjectTypeExtensionNode>();
  for (const d of sdl.definitions) if (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION) types.set(d.name.value, d);
  const named = (t: TypeNode): string => (t.kind === Kind.NAMED_TYPE ? t.name.value : named(t.type));
  const directive = (f: FieldDefinitionNode, name: string) => f.directives?.find((d) => d.name.value === name);
  const requires = (f: FieldDefinitionNode) => {
    const arg = directive(f, "requires")?.arguments?.find((a) => a.name.value === "fields");
    return arg?.value.kind === Kind.STRING ? arg.value.value.split(/\s+/).filter(Boolean) : [];
  };

  test("an order line's answer depends only on its channel and channel SKU: every field products adds to OrderLine requires just those", () => {
    const line = types.get("OrderLine")!;
    const own = line.fields!.filter((f) => !directive(f, "external") && f.name.value !== "id");
    expect(own.length).toBeGreaterThan(0);
    for (const f of own) expect([f.name.value, requires(f).sort()]).toEqual([f.name.value, [...DEPENDS_ON.OrderLine].sort()]);
  });

  test("a product's answer depends only on its key", () => {
    const key = types.get("Product")!.directives?.find((d) => d.name.value === "key")?.arguments?.find((a) => a.name.value === "fields")?.value;
    expect(key?.kind === Kind.STRING ? key.value.split(/\s+/) : null).toEqual([...DEPENDS_ON.Product]);
  });

  test("every field reachable from a cached answer is shown to every signed-in audience: the catalog is public", () => {
    const seen = new Set<string>();
    const visit = (typeName: string) => {
      const type = types.get(typeName);
      if (!type || seen.has(typeName)) return;
      seen.add(typeName);
      for (const f of type.fields ?? []) {
        if (directive(f, "external")) continue;
        if (typeName !== "OrderLine" || f.name.value !== "id") {
          const rule = ruleFor(typeName, f.name.value);
          // Anonymous callers reach no order line; every signed-in audience sees the same.
          const signedIn = AUDIENCES.filter((a) => a !== "anonymous");
          expect([`${typeName}.${f.name.value}`, rule && signedIn.map((a) => rule[a])]).toEqual([`${typeName}.${f.name.value}`, signedIn.map(() => "show")]);
        }
        visit(named(f.type));
      }
    };
    for (const t of Object.keys(DEPENDS_ON)) visit(t);
    expect([...seen].sort()).toEqual(expect.arrayContaining(["ChannelSku", "Product", "ProductAttribute"]));
  });
});

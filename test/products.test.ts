import { startTestHub, type TestHub } from "./support/hub";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
  for (const [sku, title] of [
    ["CUP-500", "保温杯 经典款"],
    ["CUP-750", "保温杯 大容量"],
    ["TEA-01", "龙井茶 100%纯"],
    ["TEA_02", "铁观音 礼盒!装"],
  ]) {
    await hub.ok("mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id } }", { i: { sku, title } });
  }
}, 60_000);
afterAll(() => hub?.stop());

const SEARCH = "query($s: String) { products(search: $s, first: 10) { edges { node { sku } } } }";
const search = async (s: string) => (await hub.query(SEARCH, { s })).data?.products.edges.map((e: any) => e.node.sku);

test("the catalog search matches a SKU prefix or part of the title, without a token", async () => {
  expect(await search("CUP-")).toEqual(["CUP-500", "CUP-750"]);
  expect(await search("保温杯")).toEqual(["CUP-500", "CUP-750"]);
  expect(await search("大容量")).toEqual(["CUP-750"]);
  expect(await search("500")).toEqual([]); // the SKU matches by prefix only
});

test("LIKE wildcards and the escape character in a search are plain characters", async () => {
  expect(await search("%")).toEqual(["TEA-01"]);
  expect(await search("TEA_")).toEqual(["TEA_02"]);
  expect(await search("!")).toEqual(["TEA_02"]);
  expect(await search("_")).toEqual([]); // as a wildcard it would match every product
});

describe("concurrent writes of a new key", () => {
  const UPSERT = "mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id sku title } }";
  const MAP = "mutation($i: MapChannelSkuInput!) { mapChannelSku(input: $i) { id sku } }";

  test("concurrent upserts of a new SKU all succeed and make one product", async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => hub.query(UPSERT, { i: { sku: "RACE-NEW-1", title: "并发新品" } }, hub.admin)));
    expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
    expect(new Set(results.map((r) => r.data!.upsertProduct.id)).size).toBe(1);
    const [{ n }] = await hub.subgraphs.products.ds.query("SELECT COUNT(*) AS n FROM products WHERE sku = 'RACE-NEW-1'");
    expect(Number(n)).toBe(1);
  });

  test("concurrent mappings of a new channel SKU all succeed and make one mapping", async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => hub.query(MAP, { i: { channel: "WEB", channelSkuId: "race-web-1", sku: "CUP-500" } }, hub.admin)));
    expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
    const [{ n }] = await hub.subgraphs.products.ds.query("SELECT COUNT(*) AS n FROM channel_sku_mappings WHERE channelSkuId = 'race-web-1'");
    expect(Number(n)).toBe(1);
  });
});

describe("channelSkuId bounds", () => {
  const MAP = "mutation($i: MapChannelSkuInput!) { mapChannelSku(input: $i) { sku } }";
  test("100 characters are accepted, emoji counting as one; 101 are refused with BAD_USER_INPUT naming the field", async () => {
    const ok = await hub.query(MAP, { i: { channel: "WEB", channelSkuId: "🍵".repeat(100), sku: "TEA-01" } }, hub.admin);
    expect(ok.errors).toBeUndefined();
    const bad = await hub.query(MAP, { i: { channel: "WEB", channelSkuId: "x".repeat(101), sku: "TEA-01" } }, hub.admin);
    expect(bad.errors![0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", field: "channelSkuId", maxLength: 100 } });
  });
});

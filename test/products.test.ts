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

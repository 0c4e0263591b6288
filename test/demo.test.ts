import { readFileSync } from "node:fs";
import { decodeJwt } from "jose";
import { DEMO_TOKEN_NAMES, seedDemoData } from "../gateway/demo-data";
import { startTestHub, type TestHub } from "./support/hub";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
}, 60_000);
afterAll(() => hub?.stop());

async function countAll(query: string, field: string): Promise<Array<Record<string, any>>> {
  const nodes: Array<Record<string, any>> = [];
  let after: string | null = null;
  for (;;) {
    const d: any = await hub.ok(query, { after });
    nodes.push(...d[field].edges.map((e: any) => e.node));
    if (!d[field].pageInfo.hasNextPage) return nodes;
    after = d[field].pageInfo.endCursor;
  }
}

test("demo data is believable, goes through the API, and a restart adds nothing", async () => {
  const first = await seedDemoData(hub.url, hub.mintToken!, hub.settle);
  expect(first.seeded).toBe(true);
  const orders = await countAll("query($after: String) { orders(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { channel customer { id } } } } }", "orders");
  expect(orders.length).toBeGreaterThanOrEqual(200);
  expect(new Set(orders.map((o) => o.channel))).toEqual(new Set(["TAOBAO", "JD", "DOUYIN", "WEB", "POS"]));
  expect(orders.every((o) => o.customer)).toBe(true);
  const customers = await countAll("query($after: String) { customers(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id identities { channel } } } } }", "customers");
  expect(customers).toHaveLength(50);
  expect(customers.filter((c) => c.identities.length > 1).length).toBeGreaterThan(5);
  // Every shopper resolved for sure: nothing waits for a steward (docs/demo-data.md says so).
  expect((await hub.ok("{ customerMatchCandidates(first: 10) { edges { node { evidence } } } }")).customerMatchCandidates.edges).toEqual([]);
  const products = await countAll("query($after: String) { products(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } }", "products");
  expect(products).toHaveLength(100);
  const cases = await hub.ok("{ afterSalesCases(first: 50) { edges { node { id } } } }");
  expect(cases.afterSalesCases.edges.length).toBeGreaterThanOrEqual(3);

  expect(Object.keys(first.tokens).sort()).toEqual([...DEMO_TOKEN_NAMES].sort());
  for (const name of ["customer1", "customer2"] as const) {
    const r = await hub.query("{ me { id orders(first: 1) { edges { node { id } } } } }", {}, first.tokens[name]);
    expect(r.data!.me.id).toBe(decodeJwt(first.tokens[name]).sub);
    expect(r.data!.me.orders.edges).toHaveLength(1);
  }

  const again = await seedDemoData(hub.url, hub.mintToken!, hub.settle);
  expect(again.seeded).toBe(false);
  const after = await countAll("query($after: String) { orders(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } }", "orders");
  expect(after).toHaveLength(orders.length);
  expect((await countAll("query($after: String) { customers(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } }", "customers")).length).toBe(50);
  expect(decodeJwt(again.tokens.customer1).sub).toBe(decodeJwt(first.tokens.customer1).sub);
}, 300_000); // on MariaDB every event's transaction is a durable commit: about a minute when run alone

test("the demo key file is private to its owner", () => {
  expect(readFileSync(`${hub.dataDir}/demo-keys.json`, "utf8")).toContain("internalSecret");
});

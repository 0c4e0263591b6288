import { createProduct, customerOf, customerToken, ingest, orderInput, unique } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

/**
 * Every connection through the gateway, as a Relay client pages it: forward with
 * first/after, backward with last/before, between two cursors, and the refusals.
 */
const SECRET = `whsec_${Buffer.from("pagination-test-secret-32-bytes!!").toString("base64")}`;
let hub: TestHub;
let buyerCustomerId: string;
let shopper: string;

beforeAll(async () => {
  // JD is subscribed so customer changes queue outbound deliveries; nothing ever sends them.
  hub = await startTestHub({ OUTBOUND_WEBHOOK_URL_JD: "http://127.0.0.1:9/never", OUTBOUND_WEBHOOK_SECRET_JD: SECRET });
  hub.subgraphs.customers.jobs.outbound.stop();

  for (let i = 1; i <= 5; i++) await createProduct(hub, `PG-${i}`, [{ channel: "WEB", channelSkuId: `PG-SKU-${i}` }]);

  // One shopper's orders; two share placedAt, so the id must break the tie.
  const times = ["2026-11-01T08:00:00Z", "2026-11-02T08:00:00Z", "2026-11-02T08:00:00Z", "2026-11-03T08:00:00Z", "2026-11-04T08:00:00Z", "2026-11-05T08:00:00Z"];
  const orders = [];
  for (const placedAt of times) {
    orders.push(
      await ingest(
        hub,
        orderInput({ placedAt, buyer: { channelCustomerId: "pg-buyer", name: "张三" }, lines: [{ channelSkuId: "PG-SKU-1", title: "杯", quantity: 5, unitPrice: "10.00", discount: "0.00" }] }),
      ),
    );
  }
  buyerCustomerId = await customerOf(hub, orders[0].id);
  shopper = await customerToken(hub, buyerCustomerId);

  // Other buyers with unmapped SKUs: more customers and an exception each.
  for (let i = 1; i <= 5; i++) {
    await ingest(hub, orderInput({ buyer: { channelCustomerId: unique("pg-other"), name: `买家${i}` }, lines: [{ channelSkuId: unique("UNMAPPED"), title: "?", quantity: 1, unitPrice: "1.00", discount: "0.00" }] }));
  }

  for (let i = 0; i < 5; i++) {
    await hub.ok(
      "mutation($i: RequestAfterSalesInput!) { requestAfterSales(input: $i) { id } }",
      { i: { orderId: orders[0].id, type: "REFUND_ONLY", reason: `case ${i}`, lines: [{ orderLineId: orders[0].lines[0].id, quantity: 1 }] } },
    );
  }

  // The same phone under different names: a review candidate per pair; the JD ones queue deliveries.
  const register = "mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id } }";
  for (let i = 0; i < 5; i++) {
    const phone = `1365555${String(1000 + i)}`;
    await hub.ok(register, { i: { channel: "TAOBAO", channelCustomerId: unique("tb"), name: "郑爽", phone } }, hub.channels.TAOBAO);
    const jd = unique("jd");
    await hub.ok(register, { i: { channel: "JD", channelCustomerId: jd, name: "Wang Lei", phone } }, hub.channels.JD);
    // The channel's own update of that account: a customer.updated that JD is told about.
    await hub.ok(register, { i: { channel: "JD", channelCustomerId: jd, name: "Wang Lei", phone, marketingOptIn: true } }, hub.channels.JD);
  }
  await hub.settle();
}, 120_000);
afterAll(() => hub?.stop());

const PAGE = "$first: Int, $after: String, $last: Int, $before: String";
const ARGS = "first: $first, after: $after, last: $last, before: $before";
const SELECTION = "edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";

interface Page {
  edges: Array<{ cursor: string; node: { id: string } }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

interface ListCase {
  name: string;
  query: string;
  pick(data: Record<string, any>): Page;
  variables?: () => Record<string, unknown>;
  token?: () => string;
}

const LISTS: ListCase[] = [
  { name: "orders", query: `query(${PAGE}) { list: orders(${ARGS}) { ${SELECTION} } }`, pick: (d) => d.list },
  {
    name: "orders with a filter",
    query: `query(${PAGE}) { list: orders(${ARGS}, filter: { channel: WEB, placedFrom: "2026-11-01T00:00:00Z", placedTo: "2026-11-06T00:00:00Z" }) { ${SELECTION} } }`,
    pick: (d) => d.list,
  },
  {
    name: "Customer.orders",
    query: `query($id: ID!, ${PAGE}) { customer(id: $id) { orders(${ARGS}) { ${SELECTION} } } }`,
    pick: (d) => d.customer.orders,
    variables: () => ({ id: buyerCustomerId }),
  },
  { name: "me.orders (a shopper)", query: `query(${PAGE}) { me { orders(${ARGS}) { ${SELECTION} } } }`, pick: (d) => d.me.orders, token: () => shopper },
  { name: "orderExceptions", query: `query(${PAGE}) { list: orderExceptions(${ARGS}) { ${SELECTION} } }`, pick: (d) => d.list },
  { name: "afterSalesCases", query: `query(${PAGE}) { list: afterSalesCases(${ARGS}) { ${SELECTION} } }`, pick: (d) => d.list },
  { name: "afterSalesCases (a shopper)", query: `query(${PAGE}) { list: afterSalesCases(${ARGS}) { ${SELECTION} } }`, pick: (d) => d.list, token: () => shopper },
  { name: "customers", query: `query(${PAGE}) { list: customers(${ARGS}) { ${SELECTION} } }`, pick: (d) => d.list },
  { name: "customerMatchCandidates", query: `query(${PAGE}) { list: customerMatchCandidates(${ARGS}) { ${SELECTION} } }`, pick: (d) => d.list },
  { name: "customerChanges", query: `query(${PAGE}) { list: customerChanges(${ARGS}) { ${SELECTION} } }`, pick: (d) => d.list },
  { name: "outboundDeliveries", query: `query(${PAGE}) { list: outboundDeliveries(${ARGS}, channel: JD) { ${SELECTION} } }`, pick: (d) => d.list },
  { name: "products", query: `query(${PAGE}) { list: products(${ARGS}) { ${SELECTION} } }`, pick: (d) => d.list },
  { name: "products with a search", query: `query(${PAGE}) { list: products(${ARGS}, search: "PG-") { ${SELECTION} } }`, pick: (d) => d.list },
];

async function page(list: ListCase, args: Record<string, unknown>): Promise<Page> {
  return list.pick(await hub.ok(list.query, { ...list.variables?.(), ...args }, list.token?.() ?? hub.admin));
}

function ids(p: Page) {
  return p.edges.map((e) => e.node.id);
}

function expectCursorsOf(p: Page) {
  expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor ?? null);
  expect(p.pageInfo.endCursor).toBe(p.edges[p.edges.length - 1]?.cursor ?? null);
}

describe.each(LISTS)("$name", (list) => {
  let all: Page;
  beforeAll(async () => {
    all = await page(list, { first: 100 });
  });

  test("has enough rows to page through", () => {
    expect(all.edges.length).toBeGreaterThanOrEqual(5);
    expect(all.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    expectCursorsOf(all);
  });

  test("walking forward with first/after gives every row once, in order, with truthful flags", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let n = 0; ; n++) {
      const p: Page = await page(list, { first: 2, after });
      expectCursorsOf(p);
      expect(p.pageInfo.hasPreviousPage).toBe(n > 0);
      seen.push(...ids(p));
      expect(p.pageInfo.hasNextPage).toBe(seen.length < all.edges.length);
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    expect(seen).toEqual(ids(all));
  });

  test("walking backward with last/before gives the same rows in the same order", async () => {
    const seen: string[] = [];
    let before: string | null = null;
    for (let n = 0; ; n++) {
      const p: Page = await page(list, { last: 2, before });
      expectCursorsOf(p);
      expect(p.edges.length).toBe(Math.min(2, all.edges.length - seen.length));
      expect(p.pageInfo.hasNextPage).toBe(n > 0);
      seen.unshift(...ids(p));
      expect(p.pageInfo.hasPreviousPage).toBe(seen.length < all.edges.length);
      if (!p.pageInfo.hasPreviousPage) break;
      before = p.pageInfo.startCursor;
    }
    expect(seen).toEqual(ids(all));
  });

  test("before alone pages back; after and before together bound the page on both sides", async () => {
    const cursors = all.edges.map((e) => e.cursor);
    const back = await page(list, { before: cursors[3] });
    expect(ids(back)).toEqual(ids(all).slice(0, 3));
    expect(back.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });

    const between = await page(list, { after: cursors[0], before: cursors[4] });
    expect(ids(between)).toEqual(ids(all).slice(1, 4));
    expect(between.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const lastTwo = await page(list, { last: 2, after: cursors[0], before: cursors[4] });
    expect(ids(lastTwo)).toEqual(ids(all).slice(2, 4));
    expect(lastTwo.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const firstTwo = await page(list, { first: 2, after: cursors[0], before: cursors[4] });
    expect(ids(firstTwo)).toEqual(ids(all).slice(1, 3));
    expect(firstTwo.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
  });

  test.each([
    [{ first: 2, last: 2 }, "last"],
    [{ last: 0 }, "last"],
    [{ last: 101 }, "last"],
    [{ first: 0 }, "first"],
    [{ before: "not-a-cursor" }, "before"],
    [{ after: "not-a-cursor" }, "after"],
    [{ before: Buffer.from("[1.5]").toString("base64url") }, "before"], // decodes, but fits no list's key
  ])("%j is refused as BAD_USER_INPUT naming %s", async (args, argument) => {
    const r = await hub.query(list.query, { ...list.variables?.(), ...args }, list.token?.() ?? hub.admin);
    expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", argument });
  });
});

test("a cursor whose row has left the list still pages on, and hasPreviousPage says whether anything precedes it", async () => {
  const q = `query(${PAGE}) { list: customerMatchCandidates(${ARGS}) { ${SELECTION} } }`;
  const before = (await hub.ok(q, { first: 100 })).list as Page;
  const [first, second] = before.edges;
  for (const edge of [first, second]) await hub.ok("mutation($id: ID!) { dismissMatchCandidate(id: $id) { id } }", { id: edge.node.id });

  const fromFirst = (await hub.ok(q, { first: 100, after: first.cursor })).list as Page;
  expect(ids(fromFirst)).toEqual(ids(before).slice(2));
  expect(fromFirst.pageInfo.hasPreviousPage).toBe(false); // both rows at or before the cursor are gone
  const back = (await hub.ok(q, { last: 100, before: second.cursor })).list as Page;
  expect(back.edges).toEqual([]);
  expect(back.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null });
});

test("products search takes % and _ literally, on both databases", async () => {
  await hub.ok("mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id } }", { i: { sku: "PG_PCT", title: "100% 棉 T恤" } });
  const skus = async (search: string) => ((await hub.ok("query($s: String) { products(first: 100, search: $s) { edges { node { sku } } } }", { s: search })).products.edges as any[]).map((e) => e.node.sku).sort();
  expect(await skus("PG_")).toEqual(["PG_PCT"]);
  expect(await skus("100%")).toEqual(["PG_PCT"]);
  expect(await skus("0% 棉")).toEqual(["PG_PCT"]);
  expect(await skus("PG-")).toEqual(["PG-1", "PG-2", "PG-3", "PG-4", "PG-5"]);
  expect(await skus("%")).toEqual(["PG_PCT"]);
});

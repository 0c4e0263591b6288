import { createProduct, customerOf, customerToken, ingest, orderInput } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

let hub: TestHub;
let ids: Record<string, string>;
beforeAll(async () => {
  hub = await startTestHub();
  await createProduct(hub, "CUP-1", [{ channel: "WEB", channelSkuId: "SKU-A" }]);
  const order = await ingest(hub, orderInput({ channelOrderId: "W-node-1" }));
  const customer = await customerOf(hub, order.id);
  const product = await hub.ok<{ product: { id: string } }>('{ product(sku: "CUP-1") { id } }');
  const kase = await hub.ok<{ requestAfterSales: { id: string } }>("mutation($i: RequestAfterSalesInput!) { requestAfterSales(input: $i) { id } }", {
    i: { orderId: order.id, type: "REFUND_ONLY", reason: "late", lines: [{ orderLineId: order.lines[0].id, quantity: 1 }] },
  });
  ids = { Order: order.id, OrderLine: order.lines[0].id, Customer: customer, Product: product.product.id, AfterSalesCase: kase.requestAfterSales.id };
}, 60_000);
afterAll(() => hub?.stop());

const NODE_FIELDS = `id __typename
  ... on Order { channelOrderId }
  ... on OrderLine { quantity }
  ... on Customer { displayName }
  ... on Product { sku }
  ... on AfterSalesCase { type }`;

test("node resolves every entity type through the gateway, with its own fields", async () => {
  for (const [type, id] of Object.entries(ids)) {
    expect(id).toMatch(new RegExp(`^gid://orderhub/${type}/\\d+$`));
    const r = await hub.ok<{ node: Record<string, unknown> }>(`query($id: ID!) { node(id: $id) { ${NODE_FIELDS} } }`, { id });
    expect(r.node).toMatchObject({ id, __typename: type });
    expect(Object.keys(r.node).length).toBe(3);
  }
});

test("nodes resolves a list in the order asked, with null for what is missing", async () => {
  const wanted = [ids.Product, ids.Order, "gid://orderhub/Customer/999999", ids.AfterSalesCase];
  const r = await hub.query(`query($ids: [ID!]!) { nodes(ids: $ids) { ${NODE_FIELDS} } }`, { ids: wanted }, hub.admin);
  expect(r.data!.nodes.map((n: any) => n?.id ?? null)).toEqual([ids.Product, ids.Order, null, ids.AfterSalesCase]);
});

test("a shopper reaches their own entities by node, but not another shopper's", async () => {
  const own = await customerToken(hub, ids.Customer);
  const mine = await hub.query(`query($id: ID!) { node(id: $id) { ${NODE_FIELDS} } }`, { id: ids.Order }, own);
  expect(mine.data!.node).toMatchObject({ channelOrderId: "W-node-1" });
  const other = await customerToken(hub, "gid://orderhub/Customer/424242");
  for (const id of [ids.Order, ids.Customer, ids.AfterSalesCase]) {
    const r = await hub.query(`query($id: ID!) { node(id: $id) { ${NODE_FIELDS} } }`, { id }, other);
    expect(JSON.stringify(r.data?.node ?? null)).not.toMatch(/W-node-1|REFUND_ONLY|张三/);
  }
});

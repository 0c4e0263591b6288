import { countRows, customerOf, customerToken, ingest, orderInput } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

let hub: TestHub;
let order: { id: string; lines: Array<{ id: string }> };
let owner: string;
let stranger: string;
const REQUEST = "mutation($i: RequestAfterSalesInput!) { requestAfterSales(input: $i) { id status requestedAmount { amount currencyCode } lines { quantity amount { amount } } order { id } } }";

beforeAll(async () => {
  hub = await startTestHub();
  order = await ingest(hub, orderInput({ channelOrderId: "W-as-1", lines: [{ channelSkuId: "A", quantity: 3, unitPrice: "10.00", discount: "1.00" }] }));
  const other = await ingest(hub, orderInput({ channelOrderId: "W-as-2", buyer: { channelCustomerId: "web-stranger" } }));
  owner = await customerToken(hub, await customerOf(hub, order.id));
  stranger = await customerToken(hub, await customerOf(hub, other.id));
}, 60_000);
afterAll(() => hub?.stop());

test("a shopper requests a refund on their own order; the amount is the pro-rata share of the line", async () => {
  const r = await hub.query(REQUEST, { i: { orderId: order.id, type: "RETURN", reason: "wrong size", lines: [{ orderLineId: order.lines[0].id, quantity: 1 }] } }, owner);
  expect(r.errors).toBeUndefined();
  expect(r.data!.requestAfterSales).toMatchObject({ status: "REQUESTED", requestedAmount: { amount: "9.67", currencyCode: "CNY" }, order: { id: order.id } });
});

test("another shopper cannot request on an order that is not theirs, and nothing is written", async () => {
  const before = await countRows(hub, "aftersales", "after_sales_cases");
  const r = await hub.query(REQUEST, { i: { orderId: order.id, type: "RETURN", reason: "mine now", lines: [{ orderLineId: order.lines[0].id, quantity: 1 }] } }, stranger);
  expect(r.errors![0].extensions!.code).toBe("NOT_FOUND");
  expect(await countRows(hub, "aftersales", "after_sales_cases")).toBe(before);
});

test("concurrent requests never claim more units than were bought", async () => {
  // 2 units are left on the line; six staff requests race for one unit each.
  const results = await Promise.all(
    Array.from({ length: 6 }, () =>
      hub.query(REQUEST, { i: { orderId: order.id, type: "REFUND_ONLY", reason: "race", lines: [{ orderLineId: order.lines[0].id, quantity: 1 }] } }, hub.admin),
    ),
  );
  const ok = results.filter((r) => !r.errors);
  const conflicts = results.filter((r) => r.errors?.[0].extensions?.code === "CONFLICT");
  expect(ok).toHaveLength(2);
  expect(conflicts).toHaveLength(4);
  // The three claimed units add up exactly to the line's net amount (29.00).
  const cases = await hub.ok<{ order: { afterSalesCases: Array<{ requestedAmount: { amount: string } }> } }>(
    "query($id: ID!) { order(id: $id) { afterSalesCases { requestedAmount { amount } } } }",
    { id: order.id },
  );
  const total = cases.order.afterSalesCases.reduce((sum, c) => sum + Math.round(Number(c.requestedAmount.amount) * 100), 0);
  expect(total).toBe(2900);
});

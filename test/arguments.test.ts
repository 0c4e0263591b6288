import { countRows, createProduct, customerOf, ingest, orderInput } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

/**
 * Every argument and filter field of the products, orders and aftersales resolvers, run
 * through the gateway (and so on SQLite and on MariaDB, as the suite runs on both).
 * Each case checks what the argument does, not only that it does not fail.
 */
let hub: TestHub;
const o: Record<"w1" | "t1" | "j1" | "w2", { id: string; lines: Array<{ id: string }> }> = {} as never;
let customerId: string;

const FULL_ORDER = {
  channel: "WEB",
  channelOrderId: "ARG-W2",
  placedAt: "2026-11-04T10:00:00+08:00",
  currency: "CNY",
  status: "PAID",
  buyer: { channelCustomerId: "web-arg-1", name: "Arg Buyer", phone: "13800138111", deviceFingerprint: "fp-arg-1" },
  shippingAddress: { province: "上海市", city: "上海市", district: "浦东新区", detail: "世纪大道1号" },
  shippingFee: "8.00",
  couponDiscount: "3.00",
  promisedDeliveryBy: "2026-11-06T18:00:00+08:00",
  lines: [
    { channelSkuId: "SKU-ARG", title: "Cup", quantity: 1, unitPrice: "50.00", discount: "5.00" },
    { channelSkuId: "SKU-ARG", quantity: 2, unitPrice: "20.00" },
  ],
};

beforeAll(async () => {
  hub = await startTestHub();
  await createProduct(hub, "CUP-ARG", [{ channel: "WEB", channelSkuId: "SKU-ARG" }]);
  for (const [sku, title] of [["MUG_1", "Mug 100% porcelain"], ["MUGX1", "Mug 1000 ml"]]) {
    await hub.ok("mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id } }", { i: { sku, title } });
  }
  o.w1 = await ingest(hub, orderInput({ channelOrderId: "ARG-W1", placedAt: "2026-11-01T08:00:00Z", buyer: { channelCustomerId: "web-arg-1", name: "Arg Buyer", phone: "13800138111" }, lines: [{ channelSkuId: "SKU-ARG", quantity: 3, unitPrice: "10.00" }] }));
  o.t1 = await ingest(hub, orderInput({ channel: "TAOBAO", channelOrderId: "ARG-T1", status: "PENDING_PAYMENT", placedAt: "2026-11-02T08:00:00Z", buyer: { channelCustomerId: "tb-arg-1" }, lines: [{ channelSkuId: "TB-NONE", quantity: 1, unitPrice: "5.00" }] }));
  o.j1 = await ingest(hub, orderInput({ channel: "JD", channelOrderId: "ARG-J1", placedAt: "2026-11-03T17:30:00Z", buyer: { channelCustomerId: "jd-arg-1" }, lines: [{ channelSkuId: "JD-NONE", quantity: 1, unitPrice: "5.00" }] }));
  o.w2 = await ingest(hub, FULL_ORDER);
  customerId = await customerOf(hub, o.w2.id);
}, 120_000);
afterAll(() => hub?.stop());

/** As staff (admin) unless another token is given. */
const ask = (query: string, variables: Record<string, unknown> = {}, token?: string) => hub.query(query, variables, token ?? hub.admin);
const codeOf = (r: { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }) => r.errors?.[0]?.extensions?.code;

describe("products", () => {
  const PRODUCTS = "query($first: Int, $after: String, $search: String) { products(first: $first, after: $after, search: $search) { edges { node { sku title } } pageInfo { hasNextPage endCursor } } }";
  const skusOf = (d: any) => d.products.edges.map((e: any) => e.node.sku);

  test("product(sku) finds a product by SKU, and null for an unknown one", async () => {
    expect((await hub.ok('{ product(sku: "CUP-ARG") { sku title channelSkus { channel channelSkuId } } }')).product).toEqual({
      sku: "CUP-ARG",
      title: "Product CUP-ARG",
      channelSkus: [{ channel: "WEB", channelSkuId: "SKU-ARG" }],
    });
    expect((await hub.ok('{ product(sku: "NOPE") { sku } }')).product).toBeNull();
  });

  test("products(first, after) pages through every product once", async () => {
    const first = await hub.ok(PRODUCTS, { first: 2 });
    expect(skusOf(first)).toEqual(["CUP-ARG", "MUG_1"]);
    expect(first.products.pageInfo.hasNextPage).toBe(true);
    const rest = await hub.ok(PRODUCTS, { first: 2, after: first.products.pageInfo.endCursor });
    expect(skusOf(rest)).toEqual(["MUGX1"]);
    expect(rest.products.pageInfo.hasNextPage).toBe(false);
  });

  test.each([
    ["a SKU prefix", "CUP-A", ["CUP-ARG"]],
    ["a word of the title", "porcelain", ["MUG_1"]],
    ["an underscore, literally", "MUG_", ["MUG_1"]],
    ["a percent sign, literally", "100%", ["MUG_1"]],
    ["an exclamation mark, literally", "Mug!", []],
    ["a backslash, literally", "\\", []],
    ["a quote, literally", "' OR 1=1 --", []],
    ["blanks only: no filter", "   ", ["CUP-ARG", "MUG_1", "MUGX1"]],
  ])("products(search) matches %s", async (_what, search, skus) => {
    expect(skusOf(await hub.ok(PRODUCTS, { search }))).toEqual(skus);
  });

  test("products(search) longer than 100 characters and a bad first or after are BAD_USER_INPUT", async () => {
    for (const vars of [{ search: "x".repeat(101) }, { first: 0 }, { first: 101 }, { after: "not-a-cursor" }]) {
      expect(codeOf(await ask(PRODUCTS, vars))).toBe("BAD_USER_INPUT");
    }
  });

  test("upsertProduct(input) stores sku, title and attributes, updates by SKU, and refuses bad input without writing", async () => {
    const UPSERT = "mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id sku title attributes { name value } } }";
    const made = await hub.ok(UPSERT, { i: { sku: "PEN-ARG", title: " Pen ", attributes: [{ name: " color ", value: "blue" }] } });
    expect(made.upsertProduct).toMatchObject({ sku: "PEN-ARG", title: "Pen", attributes: [{ name: "color", value: "blue" }] });
    const again = await hub.ok(UPSERT, { i: { sku: "PEN-ARG", title: "Pen 2" } });
    expect(again.upsertProduct).toEqual({ ...made.upsertProduct, title: "Pen 2", attributes: [] });
    await hub.ok(UPSERT, { i: { sku: "PEN-ARG", title: "Pen 2" } }); // the same again changes nothing
    const history = await hub.subgraphs.products.ds.query("SELECT type FROM outbox_events WHERE aggregateId = ? ORDER BY sequence", [made.upsertProduct.id]);
    expect(history.map((e: { type: string }) => e.type)).toEqual(["product.created", "product.updated"]);
    const before = await countRows(hub, "products", "products");
    const bad = [
      { sku: "bad sku", title: "x" },
      { sku: "PEN-ARG", title: "" },
      { sku: "PEN-ARG", title: "x".repeat(201) },
      { sku: "PEN-ARG", title: "x", attributes: Array.from({ length: 51 }, (_, i) => ({ name: `a${i}`, value: "v" })) },
      { sku: "PEN-ARG", title: "x", attributes: [{ name: "", value: "v" }] },
      { sku: "PEN-ARG", title: "x", attributes: [{ name: "n", value: "v".repeat(501) }] },
    ];
    for (const i of bad) expect(codeOf(await ask(UPSERT, { i }))).toBe("BAD_USER_INPUT");
    expect(await countRows(hub, "products", "products")).toBe(before);
    expect((await hub.ok('{ product(sku: "PEN-ARG") { title } }')).product.title).toBe("Pen 2");
    // A warehouse may, a channel may not.
    expect(codeOf(await ask(UPSERT, { i: { sku: "PEN-ARG", title: "Pen 3" } }, hub.channel))).toBe("FORBIDDEN");
  });

  test("mapChannelSku(input) maps channel and channelSkuId to the product with sku; re-mapping moves it", async () => {
    const MAP = "mutation($i: MapChannelSkuInput!) { mapChannelSku(input: $i) { sku channelSkus { channel channelSkuId } } }";
    expect((await hub.ok(MAP, { i: { channel: "JD", channelSkuId: " JD-MUG ", sku: "MUG_1" } })).mapChannelSku).toEqual({ sku: "MUG_1", channelSkus: [{ channel: "JD", channelSkuId: "JD-MUG" }] });
    expect((await hub.ok(MAP, { i: { channel: "JD", channelSkuId: "JD-MUG", sku: "MUGX1" } })).mapChannelSku.channelSkus).toEqual([{ channel: "JD", channelSkuId: "JD-MUG" }]);
    expect((await hub.ok('{ product(sku: "MUG_1") { channelSkus { channelSkuId } } }')).product.channelSkus).toEqual([]);
    expect(codeOf(await ask(MAP, { i: { channel: "JD", channelSkuId: "JD-X", sku: "NO-SUCH" } }))).toBe("NOT_FOUND");
    expect(codeOf(await ask(MAP, { i: { channel: "JD", channelSkuId: "", sku: "MUG_1" } }))).toBe("BAD_USER_INPUT");
    expect(codeOf(await ask(MAP, { i: { channel: "JD", channelSkuId: "x".repeat(101), sku: "MUG_1" } }))).toBe("BAD_USER_INPUT");
  });
});

describe("orders", () => {
  const ORDERS = "query($f: OrderFilter, $first: Int, $after: String) { orders(first: $first, after: $after, filter: $f) { edges { node { channelOrderId } } pageInfo { hasNextPage endCursor } } }";
  const idsOf = (d: any) => d.orders.edges.map((e: any) => e.node.channelOrderId);

  test("order(id) returns the order with lines (and their products), money and times in UTC", async () => {
    const d = await hub.ok(
      `query($id: ID!) { order(id: $id) { id channel channelOrderId status placedAt buyerChannelCustomerId promisedDeliveryBy
        subtotal { amount } discount { amount } shippingFee { amount } total { amount currencyCode }
        shippingAddress { province city district detail }
        lines { channelSkuId title quantity unitPrice { amount } discount { amount } lineTotal { amount } product { sku } }
        events { type data } } }`,
      { id: o.w2.id },
    );
    expect(d.order).toMatchObject({
      id: o.w2.id,
      channel: "WEB",
      channelOrderId: "ARG-W2",
      status: "FULFILLING",
      placedAt: "2026-11-04T02:00:00.000Z",
      buyerChannelCustomerId: "web-arg-1",
      promisedDeliveryBy: "2026-11-06T10:00:00.000Z",
      subtotal: { amount: "90.00" },
      // 5.00 on the first line plus the 3.00 coupon split 1.59 / 1.41 by the lines' nets (45.00, 40.00).
      discount: { amount: "8.00" },
      shippingFee: { amount: "8.00" },
      total: { amount: "90.00", currencyCode: "CNY" },
      shippingAddress: FULL_ORDER.shippingAddress,
      lines: [
        { channelSkuId: "SKU-ARG", title: "Cup", quantity: 1, unitPrice: { amount: "50.00" }, discount: { amount: "6.59" }, lineTotal: { amount: "43.41" }, product: { sku: "CUP-ARG" } },
        { channelSkuId: "SKU-ARG", title: "SKU-ARG", quantity: 2, unitPrice: { amount: "20.00" }, discount: { amount: "1.41" }, lineTotal: { amount: "38.59" }, product: { sku: "CUP-ARG" } },
      ],
    });
    // The buyer as sent, device fingerprint included, is in the order's first event.
    expect(JSON.parse(d.order.events[0].data).buyer).toEqual({ channelCustomerId: "web-arg-1", name: "Arg Buyer", phone: "13800138111", deviceFingerprint: "fp-arg-1" });
    expect((await hub.ok("query($id: ID!) { order(id: $id) { id } }", { id: "gid://orderhub/Order/999999" })).order).toBeNull();
    expect(codeOf(await ask("query($id: ID!) { order(id: $id) { id } }", { id: "gid://orderhub/Product/1" }))).toBe("BAD_USER_INPUT");
  });

  test.each([
    ["channel", { channel: "TAOBAO" }, ["ARG-T1"]],
    ["status", { status: "PENDING_PAYMENT" }, ["ARG-T1"]],
    ["channelOrderId", { channelOrderId: "ARG-J1" }, ["ARG-J1"]],
    ["placedFrom", { placedFrom: "2026-11-03T00:00:00Z" }, ["ARG-W2", "ARG-J1"]],
    ["placedTo", { placedTo: "2026-11-02T08:00:00Z" }, ["ARG-W1"]],
    ["placedFrom and placedTo", { placedFrom: "2026-11-02T00:00:00Z", placedTo: "2026-11-04T00:00:00Z" }, ["ARG-J1", "ARG-T1"]],
    ["placedOnDate in Asia/Shanghai", { placedOnDate: "2026-11-04", timeZone: "Asia/Shanghai" }, ["ARG-W2", "ARG-J1"]],
    ["placedOnDate in UTC", { placedOnDate: "2026-11-03", timeZone: "UTC" }, ["ARG-J1"]],
    ["channel and status together", { channel: "WEB", status: "FULFILLING" }, ["ARG-W2", "ARG-W1"]],
  ])("orders(filter.%s)", async (_what, f, expected) => {
    expect(idsOf(await hub.ok(ORDERS, { f }))).toEqual(expected);
  });

  test.each([
    ["timeZone without placedOnDate", { f: { timeZone: "UTC" } }],
    ["placedOnDate without timeZone", { f: { placedOnDate: "2026-11-04" } }],
    ["an unknown time zone", { f: { placedOnDate: "2026-11-04", timeZone: "Mars/Olympus" } }],
    ["placedFrom after placedTo", { f: { placedFrom: "2026-11-05T00:00:00Z", placedTo: "2026-11-01T00:00:00Z" } }],
    ["first out of range", { first: 0 }],
    ["a foreign cursor", { after: "bm90LWEtY3Vyc29y" }],
  ])("orders with %s is BAD_USER_INPUT", async (_what, vars) => {
    expect(codeOf(await ask(ORDERS, vars))).toBe("BAD_USER_INPUT");
  });

  test("orders(first, after) and Customer.orders(first, after) walk newest first, each order once", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const d: any = await hub.ok(ORDERS, { first: 3, after });
      seen.push(...idsOf(d));
      after = d.orders.pageInfo.hasNextPage ? d.orders.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(["ARG-W2", "ARG-J1", "ARG-T1", "ARG-W1"]);

    const CUSTOMER = "query($id: ID!, $after: String) { customer(id: $id) { orders(first: 1, after: $after) { edges { node { channelOrderId } } pageInfo { hasNextPage endCursor } } } }";
    const page1 = await hub.ok(CUSTOMER, { id: customerId });
    expect(page1.customer.orders.edges.map((e: any) => e.node.channelOrderId)).toEqual(["ARG-W2"]);
    const page2 = await hub.ok(CUSTOMER, { id: customerId, after: page1.customer.orders.pageInfo.endCursor });
    expect(page2.customer.orders).toMatchObject({ edges: [{ node: { channelOrderId: "ARG-W1" } }], pageInfo: { hasNextPage: false } });
  });

  test("ingestOrder(input) refuses out-of-range fields with BAD_USER_INPUT and writes nothing", async () => {
    const INGEST = "mutation($i: IngestOrderInput!) { ingestOrder(input: $i) { id } }";
    const before = await countRows(hub, "orders", "orders");
    const bad: Array<Record<string, unknown>> = [
      { currency: "XXQ" },
      { status: "SHIPPED" },
      { placedAt: "2026-11-01 08:00" },
      { promisedDeliveryBy: "tomorrow" },
      { shippingFee: "-1.00" },
      { couponDiscount: "9999.00" },
      { channelOrderId: "" },
      { buyer: { channelCustomerId: "" } },
      { lines: [] },
      { lines: [{ channelSkuId: "A", quantity: 0, unitPrice: "1.00" }] },
      { lines: [{ channelSkuId: "A", quantity: 1, unitPrice: "1.001" }] },
      { lines: [{ channelSkuId: "A", quantity: 1, unitPrice: "1.00", discount: "2.00" }] },
    ];
    for (const overrides of bad) expect([overrides, codeOf(await ask(INGEST, { i: orderInput(overrides) }, hub.channel))]).toEqual([overrides, "BAD_USER_INPUT"]);
    expect(await countRows(hub, "orders", "orders")).toBe(before);
    // The same channel order again returns the stored order.
    expect((await hub.ok(INGEST, { i: FULL_ORDER }, hub.channel)).ingestOrder.id).toBe(o.w2.id);
  });

  test("transitionOrder(id, to, reason), holdOrder(id, reason) and releaseOrder(id) record what was given", async () => {
    const x = await ingest(hub, orderInput({ channelOrderId: "ARG-W3", status: "PENDING_PAYMENT", lines: [{ channelSkuId: "SKU-ARG", quantity: 1, unitPrice: "1.00" }] }));
    const held = await hub.ok("mutation($id: ID!, $r: String!) { holdOrder(id: $id, reason: $r) { onHold holdReason } }", { id: x.id, r: "address check" });
    expect(held.holdOrder).toEqual({ onHold: true, holdReason: "address check" });
    const paid = await hub.ok("mutation($id: ID!, $to: OrderStatus!, $r: String) { transitionOrder(id: $id, to: $to, reason: $r) { status } }", { id: x.id, to: "PAID", r: "paid at the counter" });
    expect(paid.transitionOrder.status).toBe("PAID");
    expect((await hub.ok("mutation($id: ID!) { releaseOrder(id: $id) { status onHold holdReason } }", { id: x.id })).releaseOrder).toEqual({ status: "FULFILLING", onHold: false, holdReason: null });
    const events = (await hub.ok("query($id: ID!) { order(id: $id) { events { type data } } }", { id: x.id })).order.events;
    expect(events.map((e: any) => [e.type, JSON.parse(e.data).reason ?? null])).toEqual([
      ["order.created", null],
      ["order.held", "address check"],
      ["order.status_changed", "paid at the counter"],
      ["order.released", null],
      ["order.status_changed", "paid: handed to fulfillment"],
      ["order.fulfillment_requested", null],
    ]);
    for (const [q, v] of [
      ["mutation($id: ID!) { holdOrder(id: $id, reason: \"  \") { id } }", { id: x.id }],
      ["mutation($id: ID!, $r: String) { transitionOrder(id: $id, to: SHIPPED, reason: $r) { id } }", { id: x.id, r: "x".repeat(501) }],
      ["mutation { releaseOrder(id: \"gid://orderhub/Order/abc\") { id } }", {}],
    ] as const) {
      expect(codeOf(await ask(q, v))).toBe("BAD_USER_INPUT");
    }
  });

  test("Order.priority and Order.exceptions answer for each order", async () => {
    const d = await hub.ok("query($id: ID!) { order(id: $id) { priority { level score reasons } exceptions { kind stage resolvedAt } } }", { id: o.t1.id });
    expect(d.order.priority).toEqual({ level: "NORMAL", score: 0, reasons: [] });
    expect(d.order.exceptions).toEqual([{ kind: "UNMAPPED_SKU", stage: "PENDING_PAYMENT", resolvedAt: null }]);
  });

  test("orderExceptions(first, after, filter: kind, open, channel) and resolveOrderException(id, note)", async () => {
    const QUEUE = "query($f: OrderExceptionFilter, $first: Int, $after: String) { orderExceptions(first: $first, after: $after, filter: $f) { edges { node { id kind order { channelOrderId } } } pageInfo { hasNextPage endCursor } } }";
    const coids = (d: any) => d.orderExceptions.edges.map((e: any) => e.node.order.channelOrderId);
    expect(coids(await hub.ok(QUEUE, { f: { kind: "UNMAPPED_SKU" } }))).toEqual(["ARG-T1", "ARG-J1"]);
    expect(coids(await hub.ok(QUEUE, { f: { kind: "SLA_BREACH" } }))).toEqual([]);
    expect(coids(await hub.ok(QUEUE, { f: { channel: "JD" } }))).toEqual(["ARG-J1"]);
    const page1 = await hub.ok(QUEUE, { first: 1 });
    expect(coids(page1)).toEqual(["ARG-T1"]);
    expect(coids(await hub.ok(QUEUE, { first: 1, after: page1.orderExceptions.pageInfo.endCursor }))).toEqual(["ARG-J1"]);

    const jd = (await hub.ok(QUEUE, { f: { channel: "JD" } })).orderExceptions.edges[0].node.id;
    const resolved = await hub.ok("mutation($id: ID!, $n: String!) { resolveOrderException(id: $id, note: $n) { resolvedAt resolvedBy resolution } }", { id: jd, n: "mapped by hand" });
    expect(resolved.resolveOrderException).toMatchObject({ resolvedBy: "test:admin", resolution: "mapped by hand" });
    expect(coids(await hub.ok(QUEUE, { f: { open: true } }))).toEqual(["ARG-T1"]);
    expect(coids(await hub.ok(QUEUE, { f: { open: false } }))).toEqual(["ARG-J1"]);
    expect(coids(await hub.ok(QUEUE, { f: { open: false, channel: "TAOBAO" } }))).toEqual([]);
    expect(codeOf(await ask("mutation($id: ID!) { resolveOrderException(id: $id, note: \"\") { id } }", { id: jd }))).toBe("BAD_USER_INPUT");
    expect(codeOf(await ask(QUEUE, { after: "junk" }))).toBe("BAD_USER_INPUT");
  });
});

describe("after-sales", () => {
  const REQUEST = "mutation($i: RequestAfterSalesInput!) { requestAfterSales(input: $i) { id type status reason requestedAmount { amount } lines { orderLine { id } quantity amount { amount } } order { channelOrderId } } }";
  const CASES = "query($f: AfterSalesCaseFilter, $first: Int, $after: String) { afterSalesCases(first: $first, after: $after, filter: $f) { edges { node { type reason } } pageInfo { hasNextPage endCursor } } }";
  const reasons = (d: any) => d.afterSalesCases.edges.map((e: any) => e.node.reason);
  let cases: string[] = [];

  beforeAll(async () => {
    await hub.settle();
    const exchange = await hub.ok(REQUEST, { i: { orderId: o.w2.id, type: "EXCHANGE", reason: " wrong color ", lines: [{ orderLineId: o.w2.lines[1].id, quantity: 1 }] } });
    const ret = await hub.ok(REQUEST, { i: { orderId: o.w1.id, type: "RETURN", reason: "broken", lines: [{ orderLineId: o.w1.lines[0].id, quantity: 2 }] } });
    cases = [exchange.requestAfterSales.id, ret.requestAfterSales.id];
    expect(exchange.requestAfterSales).toMatchObject({
      type: "EXCHANGE",
      status: "REQUESTED",
      reason: "wrong color",
      requestedAmount: { amount: "19.30" }, // half of the line's net 38.59, rounded by largest remainder
      lines: [{ orderLine: { id: o.w2.lines[1].id }, quantity: 1, amount: { amount: "19.30" } }],
      order: { channelOrderId: "ARG-W2" },
    });
  });

  test.each([
    ["orderId", () => ({ orderId: o.w2.id }), ["wrong color"]],
    ["status", () => ({ status: "REQUESTED" }), ["broken", "wrong color"]],
    ["status with no case", () => ({ status: "APPROVED" }), []],
    ["type", () => ({ type: "RETURN" }), ["broken"]],
    ["orderId and type together", () => ({ orderId: o.w2.id, type: "RETURN" }), []],
  ])("afterSalesCases(filter.%s)", async (_what, f, expected) => {
    expect(reasons(await hub.ok(CASES, { f: f() }))).toEqual(expected);
  });

  test("afterSalesCases(first, after) pages newest first; a bad filter.orderId is BAD_USER_INPUT", async () => {
    const page1 = await hub.ok(CASES, { first: 1 });
    expect(reasons(page1)).toEqual(["broken"]);
    expect(reasons(await hub.ok(CASES, { first: 1, after: page1.afterSalesCases.pageInfo.endCursor }))).toEqual(["wrong color"]);
    expect(codeOf(await ask(CASES, { f: { orderId: "gid://orderhub/Product/1" } }))).toBe("BAD_USER_INPUT");
    expect(codeOf(await ask(CASES, { after: "junk" }))).toBe("BAD_USER_INPUT");
  });

  test("Order.afterSalesCases lists the order's cases", async () => {
    const d = await hub.ok("query($id: ID!) { order(id: $id) { afterSalesCases { id type } } }", { id: o.w1.id });
    expect(d.order.afterSalesCases).toEqual([{ id: cases[1], type: "RETURN" }]);
  });

  test("requestAfterSales(input) refuses each bad field with its code and writes nothing", async () => {
    const before = await countRows(hub, "aftersales", "after_sales_cases");
    const line = (id: string, quantity: number) => ({ orderLineId: id, quantity });
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ orderId: "gid://orderhub/OrderLine/1", lines: [line(o.w1.lines[0].id, 1)] }, "BAD_USER_INPUT"],
      [{ orderId: o.w1.id, lines: [line(o.w1.id, 1)] }, "BAD_USER_INPUT"],
      [{ orderId: o.w1.id, lines: [] }, "BAD_USER_INPUT"],
      [{ orderId: o.w1.id, lines: [line(o.w1.lines[0].id, 0)] }, "BAD_USER_INPUT"],
      [{ orderId: o.w1.id, lines: [line(o.w1.lines[0].id, 1), line(o.w1.lines[0].id, 1)] }, "BAD_USER_INPUT"],
      [{ orderId: o.w1.id, lines: [line(o.w2.lines[0].id, 1)] }, "BAD_USER_INPUT"],
      [{ orderId: o.w1.id, lines: [line(o.w1.lines[0].id, 2)] }, "CONFLICT"], // 1 of 3 units is left
      [{ orderId: o.w1.id, reason: "", lines: [line(o.w1.lines[0].id, 1)] }, "BAD_USER_INPUT"],
      [{ orderId: o.w1.id, reason: "x".repeat(501), lines: [line(o.w1.lines[0].id, 1)] }, "BAD_USER_INPUT"],
      [{ orderId: o.t1.id, lines: [line(o.t1.lines[0].id, 1)] }, "CONFLICT"], // unpaid
      [{ orderId: "gid://orderhub/Order/999999", lines: [line(o.w1.lines[0].id, 1)] }, "NOT_FOUND"],
    ];
    for (const [fields, code] of bad) {
      const r = await ask(REQUEST, { i: { type: "REFUND_ONLY", reason: "why", ...fields } });
      expect([fields, codeOf(r)]).toEqual([fields, code]);
    }
    expect(await countRows(hub, "aftersales", "after_sales_cases")).toBe(before);
  });
});

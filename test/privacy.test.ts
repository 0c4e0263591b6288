import { countRows, createProduct, customerOf, customerToken, ingest, orderInput, unique } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

/**
 * The visibility policy through the gateway, with real tokens: what a shopper, BI and
 * a channel see of the same data staff see in full.
 */
let hub: TestHub;
let annOrders: string[];
let benOrder: string;
let annId: string;
let benId: string;
let ann: string;
let bi: string;
let agent: string;

const ANN = { channelCustomerId: "web-ann", name: "Ann Lee", phone: "13800138000", deviceFingerprint: "fp-ann-device" };
const BEN = { channelCustomerId: "jd_pin_ben", name: "Ben Wong", phone: "+85291234567" };
const ANN_STREET = "建国路88号";

beforeAll(async () => {
  hub = await startTestHub();
  await createProduct(hub, "CUP-P", [{ channel: "WEB", channelSkuId: "SKU-A" }, { channel: "JD", channelSkuId: "JD-A" }]);
  const annAddress = { province: "北京市", city: "北京市", district: "朝阳区", detail: ANN_STREET };
  annOrders = [];
  for (const n of [1, 2]) annOrders.push((await ingest(hub, orderInput({ channelOrderId: `W-ann-${n}`, buyer: ANN, shippingAddress: annAddress, receiverIsBuyer: true }))).id);
  // An order with a SKU nobody mapped: the hub opens an exception on it.
  annOrders.push((await ingest(hub, orderInput({ channelOrderId: "W-ann-3", buyer: ANN, lines: [{ channelSkuId: "SKU-NEW", quantity: 1, unitPrice: "5.00" }] }))).id);
  benOrder = (await ingest(hub, orderInput({ channel: "JD", channelOrderId: "J-ben-1", buyer: BEN, lines: [{ channelSkuId: "JD-A", quantity: 1, unitPrice: "10.00" }] }))).id;
  const supervisor = await hub.token(["cs_supervisor"], "staff:lin");
  await hub.ok('mutation($id: ID!) { holdOrder(id: $id, reason: "fraud check, call the buyer") { id } }', { id: annOrders[0] }, supervisor);
  annId = await customerOf(hub, annOrders[0]);
  benId = await customerOf(hub, benOrder);
  ann = await customerToken(hub, annId);
  bi = await hub.token(["bi_analyst"]);
  agent = await hub.token(["cs_agent"]);
}, 120_000);
afterAll(() => hub?.stop());

const ORDER = `query($id: ID!) { order(id: $id) {
  id onHold holdReason buyerChannelCustomerId shippingAddress { district detail }
  events { type actor data } } }`;

describe("a shopper sees their own orders, without staff internals", () => {
  test("no hold reason, no staff actor ids, no reasons or exception details in the history", async () => {
    const mine = (await hub.ok(ORDER, { id: annOrders[0] }, ann)).order;
    expect(mine).toMatchObject({ onHold: true, holdReason: null, buyerChannelCustomerId: "web-ann", shippingAddress: { detail: ANN_STREET } });
    expect(mine.events.map((e: any) => e.actor)).toEqual(mine.events.map(() => null));
    expect(JSON.stringify(mine.events)).not.toMatch(/staff:lin|fraud check/);
    expect(mine.events.map((e: any) => e.type)).toContain("order.held");

    const unmapped = (await hub.ok(ORDER, { id: annOrders[2] }, ann)).order;
    const opened = unmapped.events.find((e: any) => e.type === "order.exception_opened");
    expect(JSON.parse(opened.data)).toEqual({ kind: "UNMAPPED_SKU" });

    // Staff see the same order in full.
    const staff = (await hub.ok(ORDER, { id: annOrders[0] }, agent)).order;
    expect(staff.holdReason).toBe("fraud check, call the buyer");
    expect(staff.events.find((e: any) => e.type === "order.held")).toMatchObject({ actor: "staff:lin", data: expect.stringContaining("fraud check") });
  });

  test("pseudonyms are FORBIDDEN to a shopper and a channel: beside the raw account id they would re-identify BI's data", async () => {
    const mine = await hub.query("query($id: ID!) { order(id: $id) { id buyerPseudonym } }", { id: annOrders[0] }, ann);
    expect(mine.errors![0].extensions!.code).toBe("FORBIDDEN");
    // A channel meets orders as the answer to its ingest: refused before the write.
    const before = await countRows(hub, "orders", "orders");
    const channel = await hub.query(
      "mutation($i: IngestOrderInput!) { ingestOrder(input: $i) { id buyerChannelCustomerId buyerPseudonym } }",
      { i: orderInput({ channel: "JD", channelOrderId: unique("J"), lines: [{ channelSkuId: "JD-A", quantity: 1, unitPrice: "1.00" }] }) },
      hub.channels.JD,
    );
    expect(channel.status).toBe(403);
    expect(channel.errors![0]).toMatchObject({ extensions: { code: "FORBIDDEN", fields: ["Order.buyerPseudonym"] } });
    await hub.settle();
    expect(await countRows(hub, "orders", "orders")).toBe(before);
    const identities = await hub.query("query($id: ID!) { customer(id: $id) { identities { pseudonym } } }", { id: annId }, ann);
    expect(identities.errors![0].extensions!.code).toBe("FORBIDDEN");
    // Staff and BI get them.
    expect((await hub.ok("query($id: ID!) { order(id: $id) { buyerPseudonym } }", { id: annOrders[0] }, agent)).order.buyerPseudonym).toMatch(/^psn_/);
  });

  test("exceptions and triage priority are staff fields: FORBIDDEN to a shopper", async () => {
    for (const field of ["exceptions { id detail }", "priority { level reasons }"]) {
      const r = await hub.query(`query($id: ID!) { order(id: $id) { id ${field} } }`, { id: annOrders[2] }, ann);
      expect(r.errors![0].extensions!.code).toBe("FORBIDDEN");
    }
    const staff = await hub.ok("query($id: ID!) { order(id: $id) { exceptions { kind detail } } }", { id: annOrders[2] }, agent);
    expect(staff.order.exceptions).toMatchObject([{ kind: "UNMAPPED_SKU" }]);
  });
});

const BI_ORDER = `query($id: ID!) { order(id: $id) {
  buyerChannelCustomerId buyerPseudonym shippingAddress { province district detail }
  customer { id displayName phone address { district detail } identities { channel channelCustomerId pseudonym name phone } lineage { field value } }
  events { type data } } }`;

describe("BI sees no person", () => {
  test("no names, phones, streets or channel account ids; a pseudonym per buyer account instead", async () => {
    const [a1, a2, b] = await Promise.all([annOrders[0], annOrders[1], benOrder].map(async (id) => (await hub.ok(BI_ORDER, { id }, bi)).order));
    for (const o of [a1, a2, b]) {
      expect(o.buyerChannelCustomerId).toBeNull();
      expect(o.buyerPseudonym).toMatch(/^psn_/);
      expect(o.customer.displayName).toBeNull();
      expect(o.customer.identities.every((i: any) => i.channelCustomerId === null && i.name === null)).toBe(true);
    }
    expect(a1.buyerPseudonym).toBe(a2.buyerPseudonym);
    expect(b.buyerPseudonym).not.toBe(a1.buyerPseudonym);
    expect(a1.customer.identities[0].pseudonym).toBe(a1.buyerPseudonym);
    expect(a1.shippingAddress).toEqual({ province: "北京市", district: "朝阳区", detail: null });
    expect(a1.customer.phone).toBe("+86*******8000");
    expect(b.customer.phone).toBe("+852****4567");
    expect(b.customer.identities[0].phone).toBe("+852****4567");
    const lineage = Object.fromEntries(a1.customer.lineage.map((l: any) => [l.field, l.value]));
    expect(lineage).toMatchObject({ displayName: null, phone: "+86*******8000" });
    const text = JSON.stringify([a1, a2, b]);
    for (const secret of ["Ann Lee", "Ben Wong", "13800138000", "91234567", "fp-ann-device", "web-ann", "jd_pin_ben", ANN_STREET]) expect(text).not.toContain(secret);
  });

  test("the order history has the buyer's pseudonym and a masked phone, nothing else of the person", async () => {
    const o = (await hub.ok(BI_ORDER, { id: annOrders[0] }, bi)).order;
    const created = JSON.parse(o.events.find((e: any) => e.type === "order.created").data);
    expect(created.buyer).toEqual({ channelCustomerId: o.buyerPseudonym, phone: "*******8000" });
    expect(created.shippingAddress).toEqual({ province: "北京市", city: "北京市", district: "朝阳区" });
    expect(created).toMatchObject({ channel: "WEB", channelOrderId: "W-ann-1" });
  });

  test("fields other subgraphs contribute (entity fetches) follow the same policy", async () => {
    const r = await hub.ok(
      `query($id: ID!) { customer(id: $id) { orders(first: 5) { edges { node { buyerChannelCustomerId buyerPseudonym shippingAddress { detail } events { data } } } } } }`,
      { id: annId },
      bi,
    );
    const orders = r.customer.orders.edges.map((e: any) => e.node);
    expect(orders).toHaveLength(3);
    expect(orders.every((o: any) => o.buyerChannelCustomerId === null && o.shippingAddress.detail === null)).toBe(true);
    expect(JSON.stringify(orders)).not.toMatch(/Ann Lee|13800138000|web-ann|fp-ann-device/);
    const ids = await hub.ok("query($id: ID!) { customer(id: $id) { identities { id } } }", { id: benId });
    const node = await hub.ok("query($id: ID!) { node(id: $id) { ... on ChannelIdentity { channelCustomerId name phone } } }", { id: ids.customer.identities[0].id }, bi);
    expect(node.node).toEqual({ channelCustomerId: null, name: null, phone: "+852****4567" });
  });

  test("the customer change feed names no person", async () => {
    // Ben's JD account reports a new, verified phone: the golden record changes.
    await hub.ok("mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id } }", { i: { channel: "JD", channelCustomerId: BEN.channelCustomerId, phone: "+85298765432", phoneVerified: true } });
    await hub.settle();
    const feed = async (token: string) => (await hub.ok("{ customerChanges(first: 100) { edges { node { type data } } } }", {}, token)).customerChanges.edges.map((e: any) => e.node);
    const staffText = JSON.stringify(await feed(agent));
    for (const personal of ["web-ann", "jd_pin_ben", ANN_STREET, "+85298765432"]) expect(staffText).toContain(personal); // staff get the person
    const biFeed = await feed(bi);
    const biText = JSON.stringify(biFeed);
    for (const personal of ["web-ann", "jd_pin_ben", ANN_STREET, "98765432"]) expect(biText).not.toContain(personal);
    const changes = biFeed.map((n: any) => JSON.parse(n.data));
    expect(changes.find((d: any) => d.changes?.phone)?.changes.phone).toBe("+852****5432");
    expect(changes.find((d: any) => d.changes?.address)?.changes.address).toEqual({ code: "110105", province: "北京市", city: "北京市", district: "朝阳区", flagged: false });
    const linked = changes.find((d: any) => d.channel === "WEB" && d.channelCustomerId);
    expect(linked.channelCustomerId).toMatch(/^psn_/);
  });

  test("staff still see the person", async () => {
    const o = (await hub.ok(BI_ORDER, { id: annOrders[0] }, agent)).order;
    expect(o).toMatchObject({ buyerChannelCustomerId: "web-ann", customer: { displayName: "Ann Lee", phone: "+8613800138000" }, shippingAddress: { detail: ANN_STREET } });
  });
});

describe("a channel token acts for its own channel only", () => {
  const INGEST = "mutation($i: IngestOrderInput!) { ingestOrder(input: $i) { id channel } }";
  const MAP = "mutation($i: MapChannelSkuInput!) { mapChannelSku(input: $i) { id } }";
  const REGISTER = "mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id } }";

  test("a Taobao token cannot ingest a JD order, map a JD SKU or attach a JD identity: FORBIDDEN, no row changed", async () => {
    const taobao = hub.channels.TAOBAO;
    const before = await Promise.all([countRows(hub, "orders", "orders"), countRows(hub, "products", "channel_sku_mappings"), countRows(hub, "customers", "channel_identities")]);
    const attempts = [
      await hub.query(INGEST, { i: orderInput({ channel: "JD", channelOrderId: unique("J"), lines: [{ channelSkuId: "JD-A", quantity: 1, unitPrice: "1.00" }] }) }, taobao),
      await hub.query(MAP, { i: { channel: "JD", channelSkuId: "JD-B", sku: "CUP-P" } }, taobao),
      await hub.query(REGISTER, { i: { channel: "JD", channelCustomerId: unique("jd"), name: "冒名" } }, taobao),
    ];
    for (const r of attempts) expect(r.errors![0].extensions!.code).toBe("FORBIDDEN");
    await hub.settle();
    expect(await Promise.all([countRows(hub, "orders", "orders"), countRows(hub, "products", "channel_sku_mappings"), countRows(hub, "customers", "channel_identities")])).toEqual(before);

    // The JD token may; so may an admin, for any channel.
    expect((await hub.ok(INGEST, { i: orderInput({ channel: "JD", channelOrderId: unique("J"), lines: [{ channelSkuId: "JD-A", quantity: 1, unitPrice: "1.00" }] }) }, hub.channels.JD)).ingestOrder.channel).toBe("JD");
    expect((await hub.ok(MAP, { i: { channel: "JD", channelSkuId: "JD-B", sku: "CUP-P" } }, hub.channels.JD)).mapChannelSku.id).toBeTruthy();
    expect((await hub.ok(REGISTER, { i: { channel: "TAOBAO", channelCustomerId: unique("tb") } }, taobao)).registerChannelIdentity.id).toBeTruthy();
    expect((await hub.ok(INGEST, { i: orderInput({ channel: "POS", channelOrderId: unique("P") }) }, hub.admin)).ingestOrder.channel).toBe("POS");
  });

  test("a channel token that names no channel, or an unknown one, is refused as UNAUTHENTICATED", async () => {
    for (const token of [await hub.mintToken!({ sub: "test:nochannel", roles: ["channel"] }), await hub.mintToken!({ sub: "test:amazon", roles: ["channel"], channel: "AMAZON" as never })]) {
      const r = await hub.query(INGEST, { i: orderInput() }, token);
      expect(r.status).toBe(401);
      expect(r.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    }
  });

  test("a channel cannot attach its account to a customer it names (customerId): FORBIDDEN, no row changed", async () => {
    const tables = () => Promise.all([countRows(hub, "customers", "channel_identities"), countRows(hub, "customers", "customers")]);
    await hub.settle(); // orders ingested earlier still create their buyers' identities
    const before = await tables();
    const identitiesBefore = (await hub.ok("query($id: ID!) { customer(id: $id) { identities { id } } }", { id: annId })).customer.identities;
    const r = await hub.query(
      "mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id displayName phone address { detail } } }",
      { i: { channel: "JD", channelCustomerId: unique("jd"), customerId: annId } },
      hub.channels.JD,
    );
    expect(r.errors![0].extensions!.code).toBe("FORBIDDEN");
    expect(r.errors![0].message).toMatch(/customerId/);
    await hub.settle();
    expect(await tables()).toEqual(before);
    expect((await hub.ok("query($id: ID!) { customer(id: $id) { identities { id } } }", { id: annId })).customer.identities).toEqual(identitiesBefore);
  });

  test("a channel learns nothing of the golden record it registers into: no name, phone or address", async () => {
    const r = await hub.query(
      "mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { __typename id displayName phone address { detail } } }",
      { i: { channel: "JD", channelCustomerId: unique("jd"), name: "京东用户", phone: "+8613700137000" } },
      hub.channels.JD,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.registerChannelIdentity).toMatchObject({ __typename: "Customer", displayName: null, phone: null, address: null });
  });

  test("a mutation that asks for a field its caller may not see is refused before it runs: no row changed", async () => {
    const before = await countRows(hub, "customers", "channel_identities");
    const r = await hub.query(
      "mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id identities { channelCustomerId } } }",
      { i: { channel: "JD", channelCustomerId: unique("jd") } },
      hub.channels.JD,
    );
    expect(r.status).toBe(403);
    expect(r.errors![0]).toMatchObject({ extensions: { code: "FORBIDDEN", fields: ["Customer.identities"] } });
    await hub.settle();
    expect(await countRows(hub, "customers", "channel_identities")).toBe(before);
  });
});

describe("tokens the hub refuses", () => {
  const ME = "{ order(id: \"gid://orderhub/Order/1\") { id } }";
  test("a BI token that is also a shopper or channel token is UNAUTHENTICATED, whatever the role order", async () => {
    const tokens = [
      await hub.mintToken!({ sub: annId, roles: ["customer", "bi_analyst"] }),
      await hub.mintToken!({ sub: annId, roles: ["bi_analyst", "customer"] }),
      await hub.mintToken!({ sub: "test:jd+bi", roles: ["channel", "bi_analyst"], channel: "JD" }),
    ];
    for (const token of tokens) {
      const r = await hub.query(ME, {}, token);
      expect(r.status).toBe(401);
      expect(r.errors![0]).toMatchObject({ message: expect.stringMatching(/BI token cannot also be a shopper or channel token/), extensions: { code: "UNAUTHENTICATED" } });
    }
  });

  test("a token whose sub is longer than 120 characters is UNAUTHENTICATED, and changes no row", async () => {
    const before = await countRows(hub, "orders", "orders");
    const long = await hub.mintToken!({ sub: `staff:${"x".repeat(115)}`, roles: ["admin"] });
    const r = await hub.query("mutation($i: IngestOrderInput!) { ingestOrder(input: $i) { id } }", { i: orderInput({ channelOrderId: unique("W") }) }, long);
    expect(r.status).toBe(401);
    expect(r.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    await hub.settle();
    expect(await countRows(hub, "orders", "orders")).toBe(before);
    // 120 characters is fine.
    const max = await hub.mintToken!({ sub: `staff:${"x".repeat(114)}`, roles: ["admin"] });
    expect((await hub.ok("mutation($i: IngestOrderInput!) { ingestOrder(input: $i) { __typename id } }", { i: orderInput({ channelOrderId: unique("W") }) }, max)).ingestOrder.__typename).toBe("Order");
  });
});

describe("clients that add __typename", () => {
  test("an admin mutation selecting __typename at every level runs", async () => {
    const r = await hub.ok('mutation($id: ID!) { holdOrder(id: $id, reason: "check") { __typename id lines { __typename id } } }', { id: annOrders[1] }, hub.admin);
    expect(r.holdOrder).toMatchObject({ __typename: "Order", lines: [{ __typename: "OrderLine" }] });
  });
});

describe("the gateway's own fields", () => {
  test("Order.buyerAccount is not in the public API: asking for it fails validation", async () => {
    const r = await hub.query("query($id: ID!) { order(id: $id) { id buyerAccount } }", { id: annOrders[0] }, hub.admin);
    expect(r.errors![0].extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(r.data?.order).toBeUndefined();
  });
});

describe("BI gets no free text or staff ids", () => {
  test("no hold reason, resolution, resolver or actor, and no reasons or notes in the history", async () => {
    await hub.ok("mutation($id: ID!) { resolveOrderException(id: $id, note: \"mapped it after calling Ann Lee\") { id } }", { id: (await hub.ok("query($id: ID!) { order(id: $id) { exceptions { id } } }", { id: annOrders[2] }, agent)).order.exceptions[0].id }, hub.admin);
    const q = `query($id: ID!) { order(id: $id) { holdReason events { type actor data } exceptions { resolvedBy resolution resolvedAt } } }`;
    const staff = (await hub.ok(q, { id: annOrders[2] }, agent)).order;
    expect(staff.exceptions[0]).toMatchObject({ resolution: expect.stringContaining("Ann Lee"), resolvedBy: expect.any(String) });
    const held = (await hub.ok(q, { id: annOrders[0] }, bi)).order;
    expect(held.holdReason).toBeNull();
    const resolved = (await hub.ok(q, { id: annOrders[2] }, bi)).order;
    expect(resolved.exceptions[0]).toMatchObject({ resolvedBy: null, resolution: null, resolvedAt: expect.any(String) });
    for (const o of [held, resolved]) {
      expect(o.events.map((e: any) => e.actor)).toEqual(o.events.map(() => null));
      for (const e of o.events) expect(Object.keys(JSON.parse(e.data))).not.toEqual(expect.arrayContaining(["reason"]));
    }
    const text = JSON.stringify([held, resolved]);
    for (const secret of ["fraud check", "Ann Lee", "staff:lin", "test:admin"]) expect(text).not.toContain(secret);
    const feed = (await hub.ok("{ customerChanges(first: 100) { edges { node { actor data } } } }", {}, bi)).customerChanges.edges.map((e: any) => e.node);
    expect(feed.every((n: any) => n.actor === null && !/"(note|reason|actor)"/.test(n.data))).toBe(true);
  });
});

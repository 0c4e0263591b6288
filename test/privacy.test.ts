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
  id onHold holdReason buyerChannelCustomerId buyerPseudonym shippingAddress { district detail }
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

  test("a channel learns nothing of the golden record it attaches to: no name, phone or other channels' accounts", async () => {
    const r = await hub.query(
      "mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id displayName phone address { detail } } }",
      { i: { channel: "JD", channelCustomerId: unique("jd"), customerId: annId } },
      hub.channels.JD,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.registerChannelIdentity).toEqual({ id: annId, displayName: null, phone: null, address: null });
  });

  test("a mutation that asks for a field its caller may not see is refused before it runs: no row changed", async () => {
    const before = await countRows(hub, "customers", "channel_identities");
    const r = await hub.query(
      "mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id identities { channelCustomerId } } }",
      { i: { channel: "JD", channelCustomerId: unique("jd"), customerId: annId } },
      hub.channels.JD,
    );
    expect(r.status).toBe(403);
    expect(r.errors![0]).toMatchObject({ extensions: { code: "FORBIDDEN", fields: ["Customer.identities"] } });
    await hub.settle();
    expect(await countRows(hub, "customers", "channel_identities")).toBe(before);
  });
});

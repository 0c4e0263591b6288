import { ingest, orderInput, sendWebhook, unique, webhookFixture } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";
import { rowCounts } from "./support/row-counts";

/**
 * Every value from outside is bounded before it is written: too long or too large is a
 * BAD_USER_INPUT naming the field (400 on webhooks), never a 500 — on MariaDB in strict
 * mode such values used to fail inside the database — and a refused request changes no row.
 */
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
}, 60_000);
afterAll(() => hub?.stop());

const fixture = webhookFixture;
const long = (n: number, c = "x") => c.repeat(n);
/** A cursor as the hub writes them (base64url JSON of the sort key). */
const encodeCursor = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString("base64url");

function webOrder(edit: (e: any) => void = () => undefined) {
  const e = fixture("web");
  e.eventId = unique("evt");
  e.order.channelOrderId = unique("W-bound");
  edit(e);
  return e;
}

async function refusedWebhook(channel: string, body: unknown, field: string) {
  const before = await rowCounts(hub);
  const r = await sendWebhook(hub, channel, body);
  expect({ status: r.status, code: r.body.errors?.[0]?.extensions?.code, field: r.body.errors?.[0]?.extensions?.field }).toEqual({ status: 400, code: "BAD_USER_INPUT", field });
  expect(await rowCounts(hub)).toEqual(before);
}

async function refusedMutation(query: string, variables: Record<string, unknown>, field: string, token = hub.admin) {
  const before = await rowCounts(hub);
  const r = await hub.query(query, variables, token);
  expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  expect(await rowCounts(hub)).toEqual(before);
}

describe("webhooks: too long or too large is 400 BAD_USER_INPUT naming the field, and stores nothing", () => {
  test.each<[string, (e: any) => void, string]>([
    ["event id", (e) => (e.eventId = long(151)), "eventId"],
    ["channel order id", (e) => (e.order.channelOrderId = long(101)), "order.channelOrderId"],
    ["buyer account", (e) => (e.order.buyer.channelCustomerId = long(101)), "order.buyer.channelCustomerId"],
    ["buyer name", (e) => (e.order.buyer.name = long(101, "名")), "order.buyer.name"],
    ["buyer phone", (e) => (e.order.buyer.phone = long(41, "1")), "order.buyer.phone"],
    ["address", (e) => (e.order.buyer.address.detail = long(301, "路")), "order.buyer.address.detail"],
    ["SKU id", (e) => (e.order.lines[0].channelSkuId = long(101)), "order.lines[0].channelSkuId"],
    ["quantity", (e) => (e.order.lines[0].quantity = 100_001), "order.lines[0].quantity"],
    ["unit price beyond the INT column", (e) => (e.order.lines[0].unitPrice = "21474836.48"), "lines[0].unitPrice"],
    ["line amount beyond the INT column", (e) => ((e.order.lines[1].unitPrice = "20000000.00"), (e.order.lines[1].quantity = 2)), "lines[1].unitPrice"],
    ["shipping fee", (e) => (e.order.shippingFee = "999999999999.00"), "shippingFee"],
    ["tracking number", (e) => ((e.type = "order.shipped"), (e.shipment = { carrier: "SF", trackingNumber: long(101) })), "shipment.trackingNumber"],
  ])("web: %s", async (_what, edit, field) => {
    await refusedWebhook("web", webOrder(edit), field);
  });

  test.each<[string, (p: any) => void, string]>([
    ["taobao", (p) => (p.trade.receiver_name = long(101, "名")), "trade.receiver_name"],
    ["taobao", (p) => (p.trade.tid = long(101, "9")), "trade.tid"],
    ["jd", (p) => (p.order.consigneeInfo.mobile = long(41, "1")), "order.consigneeInfo.mobile"],
    ["douyin", (p) => (p.data.sku_order_list[0].origin_amount = 2 ** 31), "data.sku_order_list[0].origin_amount"],
    ["pos", (p) => (p.receipt.member.cardNo = long(101)), "receipt.member.cardNo"],
  ])("%s: native field %s", async (channel, edit, field) => {
    const p = fixture(channel);
    edit(p);
    await refusedWebhook(channel, p, field);
  });

  test("an order of 500 lines with long titles is accepted and stored whole", async () => {
    const e = webOrder((x) => {
      x.order.lines = Array.from({ length: 500 }, (_, i) => ({ channelSkuId: `SKU-${i}-${long(60, "码")}`, title: long(200, "长"), quantity: 1, unitPrice: "1.00" }));
      delete x.order.couponDiscount;
      delete x.payment;
    });
    const r = await sendWebhook(hub, "web", e);
    expect(r.status).toBe(200);
    await hub.settle();
    const d = await hub.ok("query($f: OrderFilter) { orders(first: 1, filter: $f) { edges { node { lines { title } } } } }", { f: { channelOrderId: e.order.channelOrderId } });
    expect(d.orders.edges[0].node.lines).toHaveLength(500);
  });
});

describe("placeholder times", () => {
  test("a JD order whose paymentConfirmTime is 0001-01-01 00:00:00 stays unpaid", async () => {
    const p = fixture("jd");
    p.msgId = unique("jd-msg");
    p.order.orderId = unique("JD");
    p.order.paymentConfirmTime = "0001-01-01 00:00:00";
    const r = await sendWebhook(hub, "jd", p);
    expect(r.status).toBe(200);
    const d = await hub.ok("query($f: OrderFilter) { orders(first: 1, filter: $f) { edges { node { status } } } }", { f: { channelOrderId: p.order.orderId } });
    expect(d.orders.edges[0].node.status).toBe("PENDING_PAYMENT");
  });
});

describe("mutations: too long or too large is BAD_USER_INPUT naming the field, and stores nothing", () => {
  const INGEST = "mutation($i: IngestOrderInput!) { ingestOrder(input: $i) { id } }";
  const REGISTER = "mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id } }";
  const UPSERT = "mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id } }";

  test.each<[string, Record<string, unknown>, string]>([
    ["channel order id", { channelOrderId: long(101) }, "channelOrderId"],
    ["buyer account", { buyer: { channelCustomerId: long(101) } }, "buyer.channelCustomerId"],
    ["buyer name", { buyer: { channelCustomerId: "web-b", name: long(101, "名") } }, "buyer.name"],
    ["buyer phone", { buyer: { channelCustomerId: "web-b", phone: long(41, "1") } }, "buyer.phone"],
    ["device", { buyer: { channelCustomerId: "web-b", deviceFingerprint: long(101) } }, "buyer.deviceFingerprint"],
    ["address detail", { shippingAddress: { province: "北京市", city: "北京市", district: "朝阳区", detail: long(301, "路") } }, "shippingAddress.detail"],
    ["recipient", { shippingAddress: { province: "北京市", city: "北京市", district: "朝阳区", detail: "建国路1号", recipient: long(101, "名") } }, "shippingAddress.recipient"],
    ["quantity", { lines: [{ channelSkuId: "A", quantity: 100_001, unitPrice: "1.00" }] }, "lines[0].quantity"],
    ["unit price", { lines: [{ channelSkuId: "A", quantity: 1, unitPrice: "99999999999.00" }] }, "lines[0].unitPrice"],
    ["number of lines", { lines: Array.from({ length: 501 }, () => ({ channelSkuId: "A", quantity: 1, unitPrice: "1.00" })) }, "lines"],
    ["placedAt outside the DATETIME range", { placedAt: "0001-01-01T00:00:00Z" }, "placedAt"],
    ["placedAt in a loose form", { placedAt: "2026-1101" }, "placedAt"],
    ["placedAt a placeholder (the epoch), as webhooks refuse it", { placedAt: "1970-01-01T00:00:00Z" }, "placedAt"],
    ["placedAt at 24:00, which is no time of day", { placedAt: "2026-10-31T24:00:00Z" }, "placedAt"],
  ])("ingestOrder: %s", async (_what, edit, field) => {
    await refusedMutation(INGEST, { i: orderInput({ channelOrderId: unique("W-b"), ...edit }) }, field, hub.channel);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["name", { name: long(101, "名") }, "name"],
    ["a valid phone written longer than its column", { phone: `+86 ${"13800138000".split("").join("   ")}` }, "phone"],
    ["device", { deviceFingerprint: long(101) }, "deviceFingerprint"],
    ["reported tier", { reportedTier: long(21) }, "reportedTier"],
    ["address line", { address: { text: long(301, "路") } }, "address.text"],
    ["address part", { address: { province: long(51, "省") } }, "address.province"],
  ])("registerChannelIdentity: %s", async (_what, edit, field) => {
    await refusedMutation(REGISTER, { i: { channel: "WEB", channelCustomerId: unique("web-r"), ...edit } }, field);
  });

  test("upsertProduct: too many attributes, an attribute too long", async () => {
    const attributes = Array.from({ length: 21 }, (_, i) => ({ name: `a${i}`, value: "v" }));
    await refusedMutation(UPSERT, { i: { sku: unique("P"), title: "T", attributes } }, "attributes");
    await refusedMutation(UPSERT, { i: { sku: unique("P"), title: "T", attributes: [{ name: "colour", value: long(201) }] } }, "attributes[0].value");
  });

  test("notes and reasons: hold reason, unmerge note", async () => {
    const o = await ingest(hub, orderInput({ channelOrderId: unique("W-hold"), status: "PENDING_PAYMENT" }));
    await refusedMutation("mutation($id: ID!, $r: String!) { holdOrder(id: $id, reason: $r) { id } }", { id: o.id, r: long(501) }, "reason");
    await refusedMutation("mutation($n: String) { unmergeCustomer(id: \"gid://orderhub/Customer/1\", identityIds: [\"gid://orderhub/ChannelIdentity/1\"], note: $n) { id } }", { n: long(501) }, "note");
  });
});

describe("values are stored as the bound checked them", () => {
  const REGISTER = `mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) {
    id displayName phone identities { id channelCustomerId } } }`;
  const UNMERGE = "mutation($id: ID!, $ids: [ID!]!) { unmergeCustomer(id: $id, identityIds: $ids) { id displayName identities { channelCustomerId } } }";
  const rawPhoneOf = async (channelCustomerId: string) =>
    ((await hub.subgraphs.customers.ds.query("SELECT phoneRaw AS p FROM channel_identities WHERE channelCustomerId = ?", [channelCustomerId])) as Array<{ p: string }>)[0]?.p;

  test("registerChannelIdentity: a valid phone padded with spaces is stored trimmed", async () => {
    const id = unique("web-pad");
    const phone = `${" ".repeat(30)}13800138000${" ".repeat(5)}`;
    const r = await hub.query(REGISTER, { i: { channel: "WEB", channelCustomerId: id, name: "赵六", phone } }, hub.admin);
    expect(r.errors).toBeUndefined();
    expect(r.data!.registerChannelIdentity.phone).toBe("+8613800138000");
    expect(await rawPhoneOf(id)).toBe("13800138000");
  });

  test("registerChannelIdentity: a nameless account id of 100 emoji is within bounds, and its customer is named by whole characters", async () => {
    const id = "🙂".repeat(100);
    const r = await hub.query(REGISTER, { i: { channel: "WEB", channelCustomerId: id } }, hub.admin);
    expect(r.errors).toBeUndefined();
    expect(r.data!.registerChannelIdentity.identities).toEqual([expect.objectContaining({ channelCustomerId: id })]);
    expect(r.data!.registerChannelIdentity.displayName).toBe(`WEB ${"🙂".repeat(96)}`);
    // 101 are still too long, counted the same way.
    await refusedMutation(REGISTER, { i: { channel: "WEB", channelCustomerId: "🙂".repeat(101) } }, "channelCustomerId");
  });

  test("unmergeCustomer: a nameless identity with a 100-character account id gets a customer whose name fits its column", async () => {
    const owner = (await hub.ok(REGISTER, { i: { channel: "WEB", channelCustomerId: unique("web-own"), name: "钱七" } })).registerChannelIdentity;
    const longId = unique("x").padEnd(100, "x");
    const attached = (await hub.ok(REGISTER, { i: { channel: "JD", channelCustomerId: longId, customerId: owner.id } })).registerChannelIdentity;
    expect(attached.id).toBe(owner.id);
    const identity = attached.identities.find((i: any) => i.channelCustomerId === longId);
    const r = await hub.query(UNMERGE, { id: owner.id, ids: [identity.id] }, hub.admin);
    expect(r.errors).toBeUndefined();
    const restored = r.data!.unmergeCustomer.find((c: any) => c.id !== owner.id);
    expect(restored).toEqual({ id: expect.any(String), displayName: `JD ${longId}`.slice(0, 100), identities: [{ channelCustomerId: longId }] });
  });
});

describe("instants in filters and cursors go through the same strict parser", () => {
  const Q = "query($f: OrderFilter, $a: String) { orders(first: 5, filter: $f, after: $a) { edges { node { placedAt } } } }";

  test.each(["2026-10-01T12:00:00+08", "2026-10-01T12:00:00+0800", "2026-10-01T12:00:00+08:00", "2026-10-01T04:00:00Z"])("placedFrom %s is accepted", async (placedFrom) => {
    const r = await hub.query(Q, { f: { placedFrom, placedTo: "2027-01-01T00:00:00Z" } }, hub.admin);
    expect(r.errors).toBeUndefined();
  });

  test.each(["2026-1001", "2026-10-01", "2026-10-01T12:00:00", "12:00"])("placedFrom %s is refused, naming the filter", async (placedFrom) => {
    const r = await hub.query(Q, { f: { placedFrom } }, hub.admin);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "filter.placedFrom" });
  });

  test("placedTo too, and a cursor whose instant is not strict ISO-8601 is not a cursor", async () => {
    const r = await hub.query(Q, { f: { placedTo: "2026-1001" } }, hub.admin);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "filter.placedTo" });
    for (const bad of ["2026-1001", "12:00", "2026-11-20"]) {
      const c = await hub.query(Q, { a: encodeCursor([bad, 1]) }, hub.admin);
      expect(c.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument: "after" });
    }
    const good = await hub.query(Q, { a: encodeCursor(["2026-11-20T02:00:00.000Z", 1]) }, hub.admin);
    expect(good.errors).toBeUndefined();
  });

  test("a global ID whose key no INT column can hold is BAD_USER_INPUT", async () => {
    const r = await hub.query("query($id: ID!) { order(id: $id) { id } }", { id: "gid://orderhub/Order/99999999999" }, hub.admin);
    expect(r.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

import { customerOf, customerToken, ingest, orderInput, sendWebhook, unique, webhookFixture } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

/**
 * A gift goes to someone else: the receiver of a parcel is a delivery contact, not the
 * buyer. A buyer who sends gifts to three people who are shoppers themselves must never be
 * merged with them, nor put in the review queue with them, and no shopper's token may see
 * another's orders.
 */
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
}, 60_000);
afterAll(() => hub?.stop());

const fixture = webhookFixture;

interface Person {
  name: string;
  phone: string;
  address: { province: string; city: string; district: string; detail: string };
}
const PEOPLE: Person[] = [
  { name: "周明", phone: "13611110001", address: { province: "上海市", city: "上海市", district: "浦东新区", detail: "世纪大道100号 1201室" } },
  { name: "吴芳", phone: "13622220002", address: { province: "北京市", city: "北京市", district: "朝阳区", detail: "建国路88号 3号楼 502室" } },
  { name: "郑强", phone: "13633330003", address: { province: "广东省", city: "深圳市", district: "南山区", detail: "科技园路1号 2栋 1808室" } },
];

/** Three other people, for the second story (the first story's people are merged across their own accounts). */
const OTHERS: Person[] = [
  { name: "冯丽", phone: "13644440004", address: { province: "浙江省", city: "杭州市", district: "西湖区", detail: "文三路90号 1号楼 302室" } },
  { name: "陈刚", phone: "13655550005", address: { province: "四川省", city: "成都市", district: "武侯区", detail: "天府大道北段1700号 W6区 1503室" } },
  { name: "褚静", phone: "13666660006", address: { province: "江苏省", city: "南京市", district: "玄武区", detail: "中山路1号 8层" } },
];

/** A receiver's own web order: their account, their name and phone, shipped to themselves. */
function ownWebOrder(account: string, p: Person, form: "buyer.address" | "receiver") {
  const order: Record<string, unknown> = {
    channelOrderId: unique("W-own"),
    currency: "CNY",
    buyer: { channelCustomerId: account, name: p.name, phone: p.phone, ...(form === "buyer.address" ? { address: p.address } : {}) },
    lines: [{ channelSkuId: "SKU-GIFT", quantity: 1, unitPrice: "20.00" }],
  };
  if (form === "receiver") order.receiver = { name: p.name, phone: p.phone, address: p.address, isBuyer: true };
  return { eventId: unique("evt"), type: "order.created", occurredAt: "2026-11-20T10:00:00+08:00", order };
}

/** A Taobao order by `buyer`, shipped to `to`. */
function taobaoGift(buyer: string, to: Person) {
  const t = fixture("taobao");
  t.event_id = unique("tmc");
  t.trade.tid = unique("tid");
  t.trade.buyer_open_uid = buyer;
  Object.assign(t.trade, {
    receiver_name: to.name,
    receiver_mobile: to.phone,
    receiver_state: to.address.province,
    receiver_city: to.address.city,
    receiver_district: to.address.district,
    receiver_address: to.address.detail,
  });
  return t;
}

async function orderIdOf(channelOrderId: string): Promise<string> {
  const d = await hub.ok("query($f: OrderFilter) { orders(first: 1, filter: $f) { edges { node { id } } } }", { f: { channelOrderId } });
  return d.orders.edges[0].node.id;
}

async function channelOrderIdsSeenBy(customerId: string): Promise<string[]> {
  const token = await customerToken(hub, customerId);
  const d = await hub.ok("{ orders(first: 100) { edges { node { channelOrderId } } } }", {}, token);
  return d.orders.edges.map((e: any) => e.node.channelOrderId).sort();
}

async function openCandidatePairs(): Promise<Array<[string, string]>> {
  const d = await hub.ok("{ customerMatchCandidates(first: 100) { edges { node { customers { id } } } } }");
  return d.customerMatchCandidates.edges.map((e: any) => e.node.customers.map((c: any) => c.id));
}

async function expectApart(giver: { customer: string; orders: string[] }, receivers: Array<{ customer: string; orders: string[] }>) {
  const all = [giver, ...receivers];
  expect(new Set(all.map((x) => x.customer)).size).toBe(all.length);
  const pairs = await openCandidatePairs();
  for (const r of receivers) {
    expect(pairs.filter((p) => p.includes(giver.customer) && p.includes(r.customer))).toEqual([]);
  }
  for (const x of all) expect(await channelOrderIdsSeenBy(x.customer)).toEqual([...x.orders].sort());
}

test("a Taobao buyer who sends gifts to three shoppers is never merged with them, and each token sees only its own orders", async () => {
  // Two receivers shop before the gifts arrive, the third only after.
  const receivers = [
    { account: unique("web-rcv"), person: PEOPLE[0], form: "buyer.address" as const },
    { account: unique("web-rcv"), person: PEOPLE[1], form: "receiver" as const },
    { account: unique("web-rcv"), person: PEOPLE[2], form: "receiver" as const },
  ];
  const own = receivers.map((r) => ownWebOrder(r.account, r.person, r.form));
  for (const o of own.slice(0, 2)) expect((await sendWebhook(hub, "web", o)).status).toBe(200);
  const giver = unique("tb-giver");
  const gifts = PEOPLE.map((p) => taobaoGift(giver, p));
  for (const g of gifts) expect((await sendWebhook(hub, "taobao", g)).status).toBe(200);
  expect((await sendWebhook(hub, "web", own[2])).status).toBe(200);
  await hub.settle();

  const giverCustomer = await customerOf(hub, await orderIdOf(gifts[0].trade.tid));
  const receiverSides = await Promise.all(
    own.map(async (o) => ({ customer: await customerOf(hub, await orderIdOf(o.order.channelOrderId as string)), orders: [o.order.channelOrderId as string] })),
  );
  await expectApart({ customer: giverCustomer, orders: gifts.map((g) => g.trade.tid) }, receiverSides);

  // The gifts still ship to their receivers.
  const d = await hub.ok("query($id: ID!) { order(id: $id) { shippingAddress { province district } } }", { id: await orderIdOf(gifts[1].trade.tid) });
  expect(d.order.shippingAddress).toEqual({ province: "北京市", district: "朝阳区" });
});

test("a web shopper's gifts (receiver not the buyer) and an ingested gift leave the receivers apart too", async () => {
  const receivers = OTHERS.map((p) => ({ account: unique("web-rcv2"), person: p }));
  const own = receivers.map((r) => ownWebOrder(r.account, r.person, "receiver"));
  for (const o of own) expect((await sendWebhook(hub, "web", o)).status).toBe(200);
  const giver = unique("web-giver");
  const gifts = OTHERS.slice(0, 2).map((p) => ({
    eventId: unique("evt"),
    type: "order.created",
    occurredAt: "2026-11-21T10:00:00+08:00",
    order: {
      channelOrderId: unique("W-gift"),
      currency: "CNY",
      buyer: { channelCustomerId: giver, name: "孙七", phone: "18600001234" },
      receiver: { name: p.name, phone: p.phone, address: p.address },
      lines: [{ channelSkuId: "SKU-GIFT", quantity: 1, unitPrice: "99.00" }],
    },
  }));
  for (const g of gifts) expect((await sendWebhook(hub, "web", g)).status).toBe(200);
  // The same shopper's third gift through the API: the recipient is on the shipping address.
  const third = await ingest(
    hub,
    orderInput({
      channelOrderId: unique("W-gift"),
      buyer: { channelCustomerId: giver, name: "孙七", phone: "18600001234" },
      shippingAddress: { ...OTHERS[2].address, recipient: OTHERS[2].name, phone: OTHERS[2].phone },
    }),
  );
  await hub.settle();
  const thirdNumber = (await hub.ok("query($id: ID!) { order(id: $id) { channelOrderId } }", { id: third.id })).order.channelOrderId;
  const giverCustomer = await customerOf(hub, third.id);
  const receiverSides = await Promise.all(
    own.map(async (o) => ({ customer: await customerOf(hub, await orderIdOf(o.order.channelOrderId as string)), orders: [o.order.channelOrderId as string] })),
  );
  await expectApart({ customer: giverCustomer, orders: [...gifts.map((g) => g.order.channelOrderId), thirdNumber] }, receiverSides);
});

test("a receiver the channel states to be the buyer does count: it fills in the buyer's name and phone", async () => {
  const account = unique("web-self");
  const o = ownWebOrder(account, PEOPLE[0], "receiver");
  delete (o.order.buyer as Record<string, unknown>).name;
  delete (o.order.buyer as Record<string, unknown>).phone;
  expect((await sendWebhook(hub, "web", o)).status).toBe(200);
  const customer = await customerOf(hub, await orderIdOf(o.order.channelOrderId as string));
  const d = await hub.ok("query($id: ID!) { customer(id: $id) { identities { channelCustomerId name phone } } }", { id: customer });
  expect(d.customer.identities).toContainEqual({ channelCustomerId: account, name: "周明", phone: "+8613611110001" });
});

import { countRows, ingest, orderInput, unique } from "./support/fixtures";
import { CustomerRow } from "../subgraphs/customers/entities";
import { parseGlobalId } from "../subgraphs/kernel/global-id";
import { startTestHub, type TestHub } from "./support/hub";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
}, 60_000);
afterAll(() => hub?.stop());

const REGISTER = `mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) {
  id displayName phone tier marketingOptIn address { code province city district detail flagged }
  identities { id channel channelCustomerId reportedTier } } }`;
const register = async (i: Record<string, unknown>) => (await hub.ok(REGISTER, { i })).registerChannelIdentity;
const CUSTOMER = "query($id: ID!) { customer(id: $id) { id displayName phone tier marketingOptIn identities { id channel channelCustomerId } lineage { field value rule source { channel channelCustomerId } } } }";
const customer = async (id: string) => (await hub.ok(CUSTOMER, { id })).customer;
/** The whole customerChanges feed, page by page. */
async function allChanges(): Promise<Array<{ type: string; customerId: string; source: string; actor: string | null; data: string }>> {
  const nodes = [];
  for (let after: string | null = null; ; ) {
    const page: any = (await hub.ok("query($a: String) { customerChanges(first: 100, after: $a) { edges { node { type customerId source actor data } } pageInfo { hasNextPage endCursor } } }", { a: after })).customerChanges;
    nodes.push(...page.edges.map((e: any) => e.node));
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor;
  }
}
const MERGE = "mutation($s: ID!, $a: [ID!]!, $n: String) { mergeCustomers(survivorId: $s, absorbedIds: $a, note: $n) { id identities { channel channelCustomerId } } }";

describe("cleansing", () => {
  test("phones in every common format become one E.164 number", async () => {
    for (const [k, phone] of ["0086 138-0013-8000", "+86 13800138000", "（86）13800138000", "１３８００１３８０００"].entries()) {
      const c = await register({ channel: "TAOBAO", channelCustomerId: unique("tb"), name: `顾客${k}`, phone });
      expect(c.phone).toBe("+8613800138000");
    }
  });

  test("北京市朝阳区 and 北京朝阳区 are one district; an unknown place is kept and flagged", async () => {
    const a = await register({ channel: "JD", channelCustomerId: unique("jd"), address: { province: "北京市", city: "北京市", district: "朝阳区", detail: "建国路1号" } });
    const b = await register({ channel: "JD", channelCustomerId: unique("jd"), address: { text: "北京朝阳区建国路2号" } });
    expect(a.address).toMatchObject({ code: "110105", district: "朝阳区", flagged: false });
    expect(b.address).toMatchObject({ code: "110105", district: "朝阳区", flagged: false });
    const mars = await register({ channel: "JD", channelCustomerId: unique("jd"), address: { text: "火星市奥林匹斯区1号" } });
    expect(mars.address).toMatchObject({ code: null, flagged: true });
  });

  test("an invalid phone is BAD_USER_INPUT and stores nothing", async () => {
    const before = await countRows(hub, "customers", "channel_identities");
    const r = await hub.query(REGISTER, { i: { channel: "WEB", channelCustomerId: unique("web"), phone: "12345" } }, hub.admin);
    expect(r.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "phone" });
    expect(await countRows(hub, "customers", "channel_identities")).toBe(before);
  });
});

describe("the golden record is written only when it changes", () => {
  test("the same identity reported again with the same data leaves the customer row as it was, version included; new data is written", async () => {
    const identity = { channel: "TAOBAO", channelCustomerId: unique("tb"), name: "周八", phone: "13700137001" };
    const first = await register(identity);
    const row = () => hub.subgraphs.customers.ds.getRepository(CustomerRow).findOneByOrFail({ id: parseGlobalId(first.id, "Customer") });
    const before = await row();
    expect((await register(identity)).id).toBe(first.id);
    const again = await row();
    expect(again.version).toBe(before.version);
    expect(again.updatedAt).toEqual(before.updatedAt);
    const changed = await register({ ...identity, phone: "13700137002" });
    expect(changed.phone).toBe("+8613700137002");
    expect((await row()).version).toBe(before.version + 1);
  });
});

describe("identity resolution", () => {
  test("the same phone plus a close name on another channel resolves to the same customer, with evidence", async () => {
    const a = await register({ channel: "TAOBAO", channelCustomerId: unique("tb"), name: "陈静怡", phone: "13911112222" });
    const b = await register({ channel: "DOUYIN", channelCustomerId: unique("dy"), name: "陈静仪", phone: "+86 139 1111 2222" });
    expect(b.id).toBe(a.id);
    expect(b.identities.map((i: any) => i.channel)).toEqual(["TAOBAO", "DOUYIN"]);
    await hub.settle();
    const changes = await hub.ok("{ customerChanges(first: 100) { edges { node { type customerId data } } } }");
    const matched = changes.customerChanges.edges.map((e: any) => e.node).filter((n: any) => n.type === "customer.identity_linked" && n.customerId === a.id && JSON.parse(n.data).match);
    expect(JSON.parse(matched[0].data).match.evidence).toEqual(expect.arrayContaining(["same phone +8613911112222"]));
  });

  test("a device fingerprint alone never merges", async () => {
    const a = await register({ channel: "WEB", channelCustomerId: unique("web"), name: "周杰", deviceFingerprint: "dev-solo-1" });
    const b = await register({ channel: "DOUYIN", channelCustomerId: unique("dy"), name: "吴磊", deviceFingerprint: "dev-solo-1" });
    expect(b.id).not.toBe(a.id);
  });

  test("a phone shared by many customers (a courier's) stops counting as evidence", async () => {
    const courier = "13700009999";
    const ids = [];
    for (const name of ["赵一", "钱二", "孙三", "李四"]) ids.push((await register({ channel: "POS", channelCustomerId: unique("pos"), name, phone: courier })).id);
    const more = await register({ channel: "JD", channelCustomerId: unique("jd"), name: "赵一", phone: courier });
    expect(new Set(ids).size).toBe(4);
    expect(ids).not.toContain(more.id);
  });

  test("a phone with no second signal goes to the review queue with score and evidence", async () => {
    const a = await register({ channel: "TAOBAO", channelCustomerId: unique("tb"), name: "郑爽", phone: "13655556666" });
    const b = await register({ channel: "JD", channelCustomerId: unique("jd"), name: "Wang Lei", phone: "13655556666" });
    expect(b.id).not.toBe(a.id);
    const q = await hub.ok("{ customerMatchCandidates(first: 50) { edges { node { id score evidence status customers { id } } } } }");
    const pair = q.customerMatchCandidates.edges.map((e: any) => e.node).find((n: any) => n.customers.some((c: any) => c.id === a.id) && n.customers.some((c: any) => c.id === b.id));
    expect(pair).toMatchObject({ status: "OPEN", score: 0.5, evidence: ["same phone +8613655556666", "different names Wang Lei / 郑爽"] });
    const agent = await hub.token(["cs_agent"]);
    expect((await hub.query("{ customerMatchCandidates(first: 5) { edges { cursor } } }", {}, agent)).errors![0].extensions!.code).toBe("FORBIDDEN");
  });
});

describe("matching without a phone, a mistyped phone, and one identity that proves two customers are one", () => {
  const home = (room: string) => ({ text: `上海市浦东新区世纪大道100号${room}` });

  test("the same name at the same address down to the room finds a customer an order without a phone belongs to", async () => {
    const a = await register({ channel: "TAOBAO", channelCustomerId: unique("tb"), name: "欧阳娜娜", phone: "13512340001", address: home("3栋2单元801室") });
    const b = await register({ channel: "POS", channelCustomerId: unique("pos"), name: "欧阳娜娜", address: { province: "上海市", city: "上海市", district: "浦东新区", detail: "世纪大道100号 3栋2单元801室" } });
    expect(b.id).toBe(a.id);
    // Another flat in the same building is not the same address; the district alone is no lead.
    const c = await register({ channel: "POS", channelCustomerId: unique("pos"), name: "欧阳娜娜", address: home("3栋2单元802室") });
    expect(c.id).not.toBe(a.id);
  });

  test("a name seen at one address with two different phones is two people there: no automatic merge", async () => {
    await register({ channel: "JD", channelCustomerId: unique("jd"), name: "王建国", phone: "13512340011", address: home("5栋1单元101室") });
    await register({ channel: "JD", channelCustomerId: unique("jd"), name: "王建国", phone: "13612340022", address: home("5栋1单元101室") });
    const before = await countRows(hub, "customers", "customers");
    const c = await register({ channel: "POS", channelCustomerId: unique("pos"), name: "王建国", address: home("5栋1单元101室") });
    expect(await countRows(hub, "customers", "customers")).toBe(before + 1);
    expect(c.identities).toHaveLength(1);
  });

  test("family members at one address with different names are never merged nor queued for review", async () => {
    const a = await register({ channel: "TAOBAO", channelCustomerId: unique("tb"), name: "林志明", phone: "13512340031", address: home("7栋1单元301室") });
    const b = await register({ channel: "JD", channelCustomerId: unique("jd"), name: "黄美玲", address: home("7栋1单元301室") });
    expect(b.id).not.toBe(a.id);
    const q = await hub.ok("{ customerMatchCandidates(first: 100) { edges { node { customers { id } } } } }");
    expect(q.customerMatchCandidates.edges.some((e: any) => e.node.customers.some((c: any) => c.id === b.id))).toBe(false);
  });

  test("a mistyped phone with a close name in the same district merges, and says why", async () => {
    const a = await register({ channel: "JD", channelCustomerId: unique("jd"), name: "司马光明", phone: "13512340041", address: home("9栋1单元101室") });
    const b = await register({ channel: "DOUYIN", channelCustomerId: unique("dy"), name: "司马光明", phone: "13512340014", address: { text: "上海浦东新区张杨路1号" } });
    expect(b.id).toBe(a.id);
    await hub.settle();
    const linked = (await allChanges()).filter((n: any) => n.type === "customer.identity_linked" && n.customerId === a.id && JSON.parse(n.data).match);
    expect(JSON.parse(linked[0].data).match.evidence).toEqual(expect.arrayContaining(["near-identical phones +8613512340014 / +8613512340041", "same district 310115"]));
  });

  test("an identity that matches two customers merges them: one customer, the absorbed ID resolving to it, recorded as an automatic merge", async () => {
    // Two customers of one person that nothing linked: a phone without a name, a name without a phone.
    const byPhone = await register({ channel: "POS", channelCustomerId: unique("pos"), phone: "13512340051", address: { text: "上海市浦东新区陆家嘴环路1号" } });
    const byAddress = await register({ channel: "WEB", channelCustomerId: unique("web"), name: "诸葛青", address: home("11栋1单元101室") });
    expect(byAddress.id).not.toBe(byPhone.id);
    const bridge = await register({ channel: "TAOBAO", channelCustomerId: unique("tb"), name: "诸葛青", phone: "13512340051", address: home("11栋1单元101室") });
    expect([byPhone.id, byAddress.id]).toContain(bridge.id);
    expect(bridge.identities).toHaveLength(3);
    const absorbed = bridge.id === byPhone.id ? byAddress.id : byPhone.id;
    expect((await customer(absorbed)).id).toBe(bridge.id);
    await hub.settle();
    const merged = (await allChanges()).find((n: any) => n.type === "customer.merged" && n.customerId === bridge.id)!;
    expect(merged).toMatchObject({ source: "matching", actor: null });
    expect(JSON.parse(merged.data).absorbedKeys).toHaveLength(1);
  });

  test("a channel's update that adds a phone matches the identity again, and merges the customer it proves to be the same", async () => {
    const a = await register({ channel: "JD", channelCustomerId: unique("jd"), name: "韩梅梅", phone: "13512340071", address: home("15栋1单元101室") });
    const channelCustomerId = unique("dy");
    const b = await register({ channel: "DOUYIN", channelCustomerId, name: "韩梅梅" });
    expect(b.id).not.toBe(a.id);
    const updated = await register({ channel: "DOUYIN", channelCustomerId, name: "韩梅梅", phone: "135 1234 0071" });
    expect(updated.id).toBe(b.id);
    expect(updated.identities).toHaveLength(2);
    expect((await customer(a.id)).id).toBe(b.id);
    // Sending the same data again changes nothing more.
    const again = await register({ channel: "DOUYIN", channelCustomerId, name: "韩梅梅", phone: "135 1234 0071" });
    expect(again.identities).toHaveLength(2);
  });

  test("concurrent identities that each prove two customers are one: every one is kept, all end on one customer", async () => {
    const byPhone = await register({ channel: "POS", channelCustomerId: unique("pos"), phone: "13512340081", address: { text: "上海市浦东新区陆家嘴环路2号" } });
    const byAddress = await register({ channel: "WEB", channelCustomerId: unique("web"), name: "上官婉儿", address: home("17栋1单元101室") });
    const results = await Promise.all(
      ["TAOBAO", "JD", "DOUYIN", "WEB", "TAOBAO", "JD"].map((channel) =>
        hub.query(REGISTER, { i: { channel, channelCustomerId: unique(channel.toLowerCase()), name: "上官婉儿", phone: "13512340081", address: home("17栋1单元101室") } }, hub.admin),
      ),
    );
    expect(results.map((r) => r.errors?.[0]?.message ?? "ok")).toEqual(Array(6).fill("ok"));
    const a = await customer(byPhone.id);
    const b = await customer(byAddress.id);
    expect(a.id).toBe(b.id);
    expect(a.identities).toHaveLength(8);
  });

  test("an identity matching two customers whose names are two people does not merge them: a steward decides", async () => {
    // A family phone: 宋佳 and 韩磊 both gave it (a review pair, not a merge).
    const a = await register({ channel: "JD", channelCustomerId: unique("jd"), name: "宋佳", phone: "13512340061", address: home("13栋1单元101室") });
    const b = await register({ channel: "TAOBAO", channelCustomerId: unique("tb"), name: "韩磊", phone: "13512340061", deviceFingerprint: "dev-family-13", address: { text: "上海市徐汇区漕溪北路1号" } });
    expect(b.id).not.toBe(a.id);
    // Nameless, with the phone, 宋佳's address and 韩磊's device: it corroborates both.
    const c = await register({ channel: "TAOBAO", channelCustomerId: unique("tb"), phone: "13512340061", deviceFingerprint: "dev-family-13", address: home("13栋1单元101室") });
    expect(c.id).toBe(a.id);
    expect((await customer(b.id)).id).toBe(b.id);
    const q = await hub.ok("{ customerMatchCandidates(first: 100) { edges { node { status customers { id } } } } }");
    const pair = q.customerMatchCandidates.edges.map((e: any) => e.node).find((n: any) => n.customers.some((x: any) => x.id === a.id) && n.customers.some((x: any) => x.id === b.id));
    expect(pair).toMatchObject({ status: "OPEN" });
  });
});

describe("merge and unmerge", () => {
  let survivor: string;
  let absorbed: string;
  let absorbedOrder: string;
  beforeAll(async () => {
    const o1 = await ingest(hub, orderInput({ channel: "WEB", channelOrderId: unique("W"), buyer: { channelCustomerId: "web-merge-a", name: "林小雨", phone: "13522223333" } }));
    const o2 = await ingest(hub, orderInput({ channel: "JD", channelOrderId: unique("J"), buyer: { channelCustomerId: "jd-merge-b", name: "Lin Xiaoyu", phone: "13544445555" } }));
    await hub.settle();
    survivor = (await hub.ok("query($id: ID!) { order(id: $id) { customer { id } } }", { id: o1.id })).order.customer.id;
    absorbed = (await hub.ok("query($id: ID!) { order(id: $id) { customer { id } } }", { id: o2.id })).order.customer.id;
    absorbedOrder = o2.id;
    expect(survivor).not.toBe(absorbed);
  });

  test("only data stewards merge; a customer cannot absorb itself", async () => {
    const agent = await hub.token(["cs_agent"]);
    expect((await hub.query(MERGE, { s: survivor, a: [absorbed] }, agent)).errors![0].extensions!.code).toBe("FORBIDDEN");
    expect((await hub.query(MERGE, { s: survivor, a: [survivor] }, hub.admin)).errors![0].extensions!.code).toBe("BAD_USER_INPUT");
  });

  test("after a merge the absorbed ID and its orders resolve to the survivor at once", async () => {
    const supervisor = await hub.token(["cs_supervisor"], "staff:steward");
    const merged = await hub.ok(MERGE, { s: survivor, a: [absorbed], n: "same person, confirmed by phone" }, supervisor);
    expect(merged.mergeCustomers.identities.map((i: any) => i.channelCustomerId).sort()).toEqual(["jd-merge-b", "web-merge-a"]);
    expect((await customer(absorbed)).id).toBe(survivor);
    const node = await hub.ok("query($id: ID!) { node(id: $id) { id ... on Customer { displayName } } }", { id: absorbed });
    expect(node.node.id).toBe(survivor);
    const order = await hub.ok("query($id: ID!) { order(id: $id) { customer { id } } }", { id: absorbedOrder });
    expect(order.order.customer.id).toBe(survivor);
    await hub.settle();
    const shopper = await hub.token(["customer"], survivor);
    const mine = await hub.ok("{ me { orders(first: 10) { edges { node { id } } } } }", {}, shopper);
    expect(mine.me.orders.edges.map((e: any) => e.node.id)).toContain(absorbedOrder);
    // A token issued before the merge names the absorbed customer: it keeps working, as the survivor.
    const oldToken = await hub.token(["customer"], absorbed);
    const viaOld = await hub.ok("{ me { id orders(first: 10) { edges { node { id } } } } orders(first: 10) { edges { node { id } } } }", {}, oldToken);
    expect(viaOld.me.id).toBe(survivor);
    expect(viaOld.me.orders.edges).toHaveLength(2);
    expect(viaOld.orders.edges).toHaveLength(2);
    const event = (await allChanges()).find((n) => n.type === "customer.merged" && n.customerId === survivor)!;
    expect(event.actor).toBe("staff:steward");
    expect(JSON.parse(event.data)).toMatchObject({ absorbedKeys: [Number(absorbed.split("/").pop())], note: "same person, confirmed by phone" });
  });

  test("merging an already absorbed customer is a CONFLICT", async () => {
    const r = await hub.query(MERGE, { s: survivor, a: [absorbed] }, hub.admin);
    expect(r.errors![0].extensions!.code).toBe("CONFLICT");
  });

  test("unmerge sends identities and their orders back to their own customer", async () => {
    const c = await customer(survivor);
    const jd = c.identities.find((i: any) => i.channelCustomerId === "jd-merge-b");
    const bad = await hub.query("mutation($id: ID!, $ids: [ID!]!) { unmergeCustomer(id: $id, identityIds: $ids) { id } }", { id: survivor, ids: ["gid://orderhub/ChannelIdentity/999999"] }, hub.admin);
    expect(bad.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    const r = await hub.ok("mutation($id: ID!, $ids: [ID!]!) { unmergeCustomer(id: $id, identityIds: $ids) { id identities { channelCustomerId } } }", { id: survivor, ids: [jd.id] });
    expect(r.unmergeCustomer.map((x: any) => x.id)).toEqual([survivor, absorbed]);
    expect(r.unmergeCustomer[1].identities).toEqual([{ channelCustomerId: "jd-merge-b" }]);
    expect((await customer(absorbed)).id).toBe(absorbed);
    const order = await hub.ok("query($id: ID!) { order(id: $id) { customer { id } } }", { id: absorbedOrder });
    expect(order.order.customer.id).toBe(absorbed);
  });

  test("concurrent merges of the same customers: one wins, the other is a CONFLICT, no identity is lost", async () => {
    const ids = [];
    for (const n of [1, 2, 3]) ids.push((await register({ channel: "POS", channelCustomerId: unique("race"), name: `并发${n}`, phone: `1330000000${n}` })).id);
    const identitiesBefore = await countRows(hub, "customers", "channel_identities");
    const [a, b] = await Promise.all([hub.query(MERGE, { s: ids[0], a: [ids[2]] }, hub.admin), hub.query(MERGE, { s: ids[1], a: [ids[2]] }, hub.admin)]);
    const outcomes = [a, b].map((r) => (r.errors ? r.errors[0].extensions!.code : "OK")).sort();
    expect(outcomes).toEqual(["CONFLICT", "OK"]);
    expect(await countRows(hub, "customers", "channel_identities")).toBe(identitiesBefore);
  });
});

describe("survivorship and lineage", () => {
  test("each golden field shows its value, source identity and rule; an opt-out beats an older opt-in", async () => {
    const pos = unique("pos");
    const first = await register({ channel: "TAOBAO", channelCustomerId: unique("tb"), name: "何欢", phone: "13812340000", marketingOptIn: true, observedAt: "2026-11-01T00:00:00Z" });
    await register({ channel: "POS", channelCustomerId: pos, name: "何欢欢", phone: "13812340000", phoneVerified: true, customerId: first.id, marketingOptIn: false, observedAt: "2026-11-02T00:00:00Z", reportedTier: "VIP" });
    await register({ channel: "TAOBAO", channelCustomerId: unique("tb"), customerId: first.id, marketingOptIn: true, observedAt: "2026-10-01T00:00:00Z" });
    const c = await customer(first.id);
    expect(c.displayName).toBe("何欢欢");
    expect(c.marketingOptIn).toBe(false);
    const byField = Object.fromEntries(c.lineage.map((l: any) => [l.field, l]));
    expect(byField.displayName).toMatchObject({ value: "何欢欢", rule: "most trusted source", source: { channel: "POS", channelCustomerId: pos } });
    expect(byField.phone).toMatchObject({ value: "+8613812340000", rule: "verified beats unverified, then most recent", source: { channel: "POS" } });
    expect(byField.marketingOptIn).toMatchObject({ value: "false", source: { channel: "POS" } });
    expect(byField.tier.rule).toMatch(/lifetime paid/);
    expect(c.tier).toBe("STANDARD");
  });
});

describe("concurrent updates of one customer", () => {
  const ADDRESS_OF = "query($id: ID!) { customer(id: $id) { id tier marketingOptIn address { detail } lineage { field rule source { channelCustomerId } } } }";

  /** One customer with `n` channel identities, each attached by a steward. */
  async function customerWithIdentities(n: number, name: string) {
    const channels = ["POS", "WEB", "JD", "TAOBAO", "DOUYIN"];
    const ids = Array.from({ length: n }, (_, i) => ({ channel: channels[i % channels.length], channelCustomerId: unique("many") }));
    const first = await register({ ...ids[0], name });
    for (const i of ids.slice(1)) await register({ ...i, name, customerId: first.id });
    return { id: first.id as string, identities: ids };
  }

  test("channel updates of all its identities at once: the golden record ends on the newest values", async () => {
    const { id, identities } = await customerWithIdentities(8, "司马光");
    for (let round = 0; round < 3; round++) {
      // Sent all at once, in an order unrelated to their source times.
      const minutes = identities.map((_, i) => (i * 5 + round * 3) % identities.length);
      const results = await Promise.all(
        identities.map((identity, i) =>
          hub.query(REGISTER, {
            i: { ...identity, marketingOptIn: minutes[i] % 2 === 0, address: { text: `上海市黄浦区南京东路${round * 10 + i + 1}号` }, observedAt: `2027-0${round + 1}-01T00:0${minutes[i]}:00Z` },
          }, hub.admin),
        ),
      );
      expect(results.map((r) => r.errors?.[0]?.message ?? "ok")).toEqual(Array(identities.length).fill("ok"));
      const newest = minutes.indexOf(identities.length - 1);
      const c = (await hub.ok(ADDRESS_OF, { id })).customer;
      expect(c.id).toBe(id);
      expect(c.address.detail).toBe(`南京东路${round * 10 + newest + 1}号`);
      expect(c.marketingOptIn).toBe((identities.length - 1) % 2 === 0);
      expect(c.lineage.find((l: any) => l.field === "address").source.channelCustomerId).toBe(identities[newest].channelCustomerId);
    }
  });

  test("orders paid while its identities change: the tier counts every order", async () => {
    const { id, identities } = await customerWithIdentities(6, "欧阳修");
    const buyer = { channelCustomerId: identities[0].channelCustomerId, name: "欧阳修" };
    // Paid orders of 100.00 CNY each (99.90 + 0.10 shipping): from the 10th on, SILVER.
    const order = () => orderInput({ channel: identities[0].channel, channelOrderId: unique("tier"), buyer, shippingFee: "0.10", lines: [{ channelSkuId: "SKU-T", title: "茶", quantity: 1, unitPrice: "99.90" }] });
    const tierLine = async () => (await hub.ok(ADDRESS_OF, { id })).customer.lineage.find((l: any) => l.field === "tier");
    const paidOrders = async () => Number((await hub.subgraphs.customers.ds.query("SELECT COUNT(*) AS n FROM customer_spend WHERE channelCustomerId = ? AND paid = ?", [buyer.channelCustomerId, true]))[0].n);
    for (let round = 1; round <= 12; round++) {
      const placed = ingest(hub, order());
      // The channels keep updating the identities until the customers subgraph has taken in the payment.
      for (let batch = 0; (await paidOrders()) < round; batch++) {
        const updates = await Promise.all(identities.map((identity, i) => hub.query(REGISTER, { i: { ...identity, marketingOptIn: (batch + i) % 2 === 0 } }, hub.admin)));
        expect(updates.map((r) => r.errors?.[0]?.message ?? "ok")).toEqual(Array(updates.length).fill("ok"));
      }
      await placed;
      await hub.settle();
      expect((await tierLine()).rule).toBe(`lifetime paid ${round * 100}.00 CNY across all channels`);
    }
    expect((await hub.ok(ADDRESS_OF, { id })).customer.tier).toBe("SILVER");
  });
});

import { createProduct, sendWebhook, webhookFixture } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

const fixture = webhookFixture;

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
  await createProduct(hub, "ANY-1");
}, 60_000);
afterAll(() => hub?.stop());

async function byChannel(channel: string) {
  const d = await hub.ok("query($f: OrderFilter) { orders(first: 5, filter: $f) { edges { node { channelOrderId placedAt status total { amount currencyCode } lines { channelSkuId quantity } } } } }", {
    f: { channel },
  });
  return d.orders.edges.map((e: any) => e.node);
}

test.each(["taobao", "jd", "douyin", "web", "pos"])("the docs example for %s (docs/channels.md) is accepted and becomes an order in UTC", async (channel) => {
  const r = await sendWebhook(hub, channel, fixture(channel));
  expect(r.status).toBe(200);
  expect(r.body.results.every((x: any) => x.outcome === "applied")).toBe(true);
  const [order] = await byChannel(channel.toUpperCase());
  expect(order.placedAt).toMatch(/Z$/);
  expect(order.lines.length).toBeGreaterThan(0);
  expect(order.total.currencyCode).toBe("CNY");
});

test("Taobao shop times are read in the zone the channel declares (Beijing time by default)", async () => {
  const [order] = await byChannel("TAOBAO");
  const created = fixture("taobao").trade.created as string; // "yyyy-MM-dd HH:mm:ss", Beijing time
  const utc = new Date(`${created.replace(" ", "T")}+08:00`).toISOString();
  expect(order.placedAt).toBe(utc);
});

test("a POS sale is paid and handed over at the till", async () => {
  const [order] = await byChannel("POS");
  expect(order.status).toBe("DELIVERED");
});

describe("New York midnight", () => {
  const sale = (receipt: string, time: string) => ({
    eventId: `ny-${receipt}`,
    kind: "SALE",
    store: { code: "NY01", timezone: "America/New_York" },
    receipt: { number: receipt, time, currency: "USD", items: [{ barcode: "0001", name: "Mug", qty: 1, price: "9.99" }] },
  });

  test("orders between 00:00 and 01:00 New York time land on their own New York day, DST end included", async () => {
    // 2026-11-01 is the day New York leaves DST: it has 25 hours.
    await sendWebhook(hub, "pos", sale("0001", "2026-11-01T00:30:00")); // 04:30Z (EDT)
    await sendWebhook(hub, "pos", sale("0002", "2026-11-01T23:30:00")); // 04:30Z next day (EST)
    await sendWebhook(hub, "pos", sale("0003", "2026-10-31T23:59:00")); // the day before
    const q = "query($f: OrderFilter) { orders(first: 10, filter: $f) { edges { node { channelOrderId placedAt } } } }";
    const nov1 = await hub.ok(q, { f: { placedOnDate: "2026-11-01", timeZone: "America/New_York" } });
    const ny = (edges: any[]) => edges.map((e: any) => e.node).filter((n: any) => n.channelOrderId.startsWith("NY01-"));
    expect(ny(nov1.orders.edges)).toEqual([
      { channelOrderId: "NY01-0002", placedAt: "2026-11-02T04:30:00.000Z" },
      { channelOrderId: "NY01-0001", placedAt: "2026-11-01T04:30:00.000Z" },
    ]);
    const oct31 = await hub.ok(q, { f: { placedOnDate: "2026-10-31", timeZone: "America/New_York" } });
    expect(ny(oct31.orders.edges).map((n: any) => n.channelOrderId)).toEqual(["NY01-0003"]);
  });

  test("a POS time without a store zone, on a channel that declares none, is refused", async () => {
    const r = await sendWebhook(hub, "pos", { ...sale("0004", "2026-11-01T00:30:00"), store: { code: "NY01" } });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(r.body.errors[0].message).toMatch(/zone/);
  });

  test("a window needs a real IANA zone", async () => {
    const r = await hub.query("{ orders(first: 1, filter: { placedOnDate: \"2026-11-01\", timeZone: \"EST\" }) { edges { cursor } } }", {}, hub.admin);
    expect(r.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
  });
});

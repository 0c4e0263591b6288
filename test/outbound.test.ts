import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { IsNull } from "typeorm";
import { ManualClock } from "../subgraphs/kernel/clock";
import { ConfigError } from "../subgraphs/kernel/config";
import { inTransaction } from "../subgraphs/kernel/database";
import { OutboxEvent } from "../subgraphs/kernel/events";
import { toGlobalId } from "../subgraphs/kernel/global-id";
import { Channel } from "../subgraphs/kernel/types";
import { afterFailure, DeliveryStatus, OutboundDeliveryRow, outboundConfig, outboundDispatcher, retryDelaySeconds } from "../subgraphs/customers/outbound";
import { unique } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

const SECRET = `whsec_${Buffer.from("outbound-test-secret-32-bytes-long!").toString("base64")}`;
const FIVE_MINUTES = 5 * 60_000;

// ------------------------------------------------------------------ pure parts

test("the retry schedule doubles from the base, is capped, and its first retries fall well within 5 minutes", () => {
  expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(n, 30))).toEqual([30, 60, 120, 240, 480]);
  expect(retryDelaySeconds(20, 30)).toBe(3600);
  expect(retryDelaySeconds(100, 60)).toBe(3600);
  // Three retries with the default base: 30 + 60 + 120 = 210 s.
  expect(retryDelaySeconds(1, 30) + retryDelaySeconds(2, 30) + retryDelaySeconds(3, 30)).toBeLessThan(300);
  const now = new Date("2026-11-20T02:00:00Z");
  expect(afterFailure(1, now, { retrySeconds: 30, maxAttempts: 3 })).toEqual({ status: DeliveryStatus.PENDING, nextAttemptAt: new Date("2026-11-20T02:00:30Z") });
  expect(afterFailure(3, now, { retrySeconds: 30, maxAttempts: 3 }).status).toBe(DeliveryStatus.FAILED);
});

test.each([
  ["OUTBOUND_WEBHOOK_URL_JD", { OUTBOUND_WEBHOOK_URL_JD: "ftp://jd.example/hook", OUTBOUND_WEBHOOK_SECRET_JD: SECRET }],
  ["OUTBOUND_WEBHOOK_URL_JD", { OUTBOUND_WEBHOOK_URL_JD: "not a url", OUTBOUND_WEBHOOK_SECRET_JD: SECRET }],
  ["OUTBOUND_WEBHOOK_URL_JD", { OUTBOUND_WEBHOOK_URL_JD: "http://jd.example/hook", OUTBOUND_WEBHOOK_SECRET_JD: SECRET, NODE_ENV: "production" }],
  ["OUTBOUND_WEBHOOK_SECRET_JD", { OUTBOUND_WEBHOOK_URL_JD: "https://jd.example/hook" }],
  ["OUTBOUND_WEBHOOK_SECRET_JD", { OUTBOUND_WEBHOOK_URL_JD: "https://jd.example/hook", OUTBOUND_WEBHOOK_SECRET_JD: "hunter2" }],
  ["OUTBOUND_WEBHOOK_URL_TAOBAO", { OUTBOUND_WEBHOOK_SECRET_TAOBAO: SECRET }],
  ["OUTBOUND_RETRY_SECONDS", { OUTBOUND_RETRY_SECONDS: "soon" }],
  ["OUTBOUND_RETRY_SECONDS", { OUTBOUND_RETRY_SECONDS: "600" }],
  ["OUTBOUND_MAX_ATTEMPTS", { OUTBOUND_MAX_ATTEMPTS: "0" }],
  ["OUTBOUND_POLL_SECONDS", { OUTBOUND_POLL_SECONDS: "-5" }],
])("a bad %s stops start-up with a message naming it", (name, env) => {
  expect(() => outboundConfig(env)).toThrow(ConfigError);
  expect(() => outboundConfig(env)).toThrow(name);
});

test("defaults, and a channel without a URL is not subscribed", () => {
  const cfg = outboundConfig({ OUTBOUND_WEBHOOK_URL_JD: "https://jd.example/hook", OUTBOUND_WEBHOOK_SECRET_JD: SECRET });
  expect(cfg).toEqual({ targets: { JD: { url: "https://jd.example/hook", secret: SECRET } }, retrySeconds: 30, maxAttempts: 8, pollSeconds: 5 });
  expect(outboundConfig({}).targets).toEqual({});
});

// ------------------------------------------------------------------ a receiver

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

class Receiver {
  readonly calls: Received[] = [];
  /** Answer the next N calls with 503. */
  failNext = 0;
  /** Set: calls wait for it before they are answered (a slow channel). */
  hold: Promise<void> | undefined;
  /** Told when a call has arrived (before it is answered). */
  onArrive: (() => void) | undefined;
  private server!: Server;
  url = "";

  async start() {
    this.server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk) => (body += chunk));
      req.on("end", async () => {
        this.onArrive?.();
        await this.hold;
        const status = this.failNext > 0 ? (this.failNext--, 503) : 204;
        this.calls.push({ headers: req.headers, body, status });
        res.writeHead(status, { "content-type": "text/plain" });
        res.end(status === 503 ? "internal stack trace that must not be stored" : undefined);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/customer-changes`;
  }

  stop() {
    this.server.closeAllConnections();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  delivered() {
    return this.calls.filter((c) => c.status === 204);
  }
}

/** Verifies as the channel would; the library checks freshness against Date.now, so it sees the manual clock's time. */
function verify(call: Received, at: Date) {
  const spy = jest.spyOn(Date, "now").mockReturnValue(at.getTime());
  try {
    return new Webhook(SECRET).verify(call.body, {
      "webhook-id": String(call.headers["webhook-id"]),
      "webhook-timestamp": String(call.headers["webhook-timestamp"]),
      "webhook-signature": String(call.headers["webhook-signature"]),
    }) as Record<string, any>;
  } finally {
    spy.mockRestore();
  }
}

// ------------------------------------------------------------------ through the hub

const clock = new ManualClock(new Date("2026-11-20T02:00:00Z"));
const receiver = new Receiver();
let hub: TestHub;

const outboundEnv = () => ({ OUTBOUND_WEBHOOK_URL_JD: receiver.url, OUTBOUND_WEBHOOK_SECRET_JD: SECRET, OUTBOUND_RETRY_SECONDS: "30", OUTBOUND_MAX_ATTEMPTS: "4" });

beforeAll(async () => {
  await receiver.start();
  hub = await startTestHub(outboundEnv(), { clock });
  // Only the test drives the dispatcher (runOnce still works after stop).
  hub.subgraphs.customers.jobs.outbound.stop();
}, 60_000);
afterAll(async () => {
  await hub?.stop();
  await receiver.stop();
});

const REGISTER = "mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id } }";
const register = async (input: Record<string, unknown>) => (await hub.ok(REGISTER, { i: { observedAt: clock.now().toISOString(), ...input } }, hub.channels[input.channel as Channel])).registerChannelIdentity.id as string;
const dispatch = () => hub.subgraphs.customers.jobs.outbound.runOnce();
const deliveries = () => hub.subgraphs.customers.ds.getRepository(OutboundDeliveryRow).find({ order: { id: "ASC" } });

/** A person known on Taobao and on JD; returns the ids. */
async function person(phone: string) {
  const tb = unique("tb");
  const jd = unique("jd");
  const customerId = await register({ channel: "TAOBAO", channelCustomerId: tb, name: "王小明", phone });
  // Attaching to a chosen customer is a supervisor's act, not a channel's.
  await hub.ok(REGISTER, { i: { observedAt: clock.now().toISOString(), channel: "JD", channelCustomerId: jd, customerId } });
  await hub.settle();
  await dispatch();
  return { tb, jd, customerId };
}

test("a change made on Taobao reaches JD within 5 minutes, signed, naming JD's own identity", async () => {
  const { tb, jd, customerId } = await person("13800000001");
  const before = receiver.calls.length;

  clock.advance(60_000);
  const changedAt = clock.now();
  await register({ channel: "TAOBAO", channelCustomerId: tb, phone: "13900000009", phoneVerified: true });
  await hub.settle();
  clock.advance(5_000); // one poll later
  await dispatch();

  const calls = receiver.calls.slice(before);
  expect(calls).toHaveLength(1);
  const call = calls[0];
  const sentAt = new Date(Number(call.headers["webhook-timestamp"]) * 1000);
  expect(sentAt.getTime() - changedAt.getTime()).toBeLessThan(FIVE_MINUTES);
  const body = verify(call, sentAt);
  expect(call.headers["content-type"]).toBe("application/json");
  expect(body).toMatchObject({ type: "customer.updated", customerId, identities: [{ channelCustomerId: jd }], changes: { phone: "+8613900000009" } });
  expect(JSON.stringify(body)).not.toContain(tb); // Taobao's account id is Taobao's business
  expect(call.headers["webhook-id"]).toBe(`${body.id}_JD`);

  // A tampered body or another secret does not verify.
  expect(() => verify({ ...call, body: call.body.replace("13900000009", "13900000000") }, sentAt)).toThrow();

  const row = (await deliveries()).find((d) => d.eventId === body.id)!;
  expect(row).toMatchObject({ channel: "JD", status: "DELIVERED", attempts: 1, lastError: null });
  // Only JD is subscribed: no delivery rows for Taobao.
  expect((await deliveries()).every((d) => d.channel === "JD")).toBe(true);
});

test("a failing receiver gets the delivery after the backoff, in order, within 5 minutes", async () => {
  const { tb } = await person("13800000002");
  const before = receiver.calls.length;

  clock.advance(60_000);
  const changedAt = clock.now();
  receiver.failNext = 2;
  await register({ channel: "TAOBAO", channelCustomerId: tb, phone: "13900000010", phoneVerified: true });
  await hub.settle();
  await dispatch(); // 503
  let [first] = (await deliveries()).slice(-1);
  expect(first).toMatchObject({ status: "PENDING", attempts: 1, lastError: "HTTP 503" });
  expect(first.nextAttemptAt.getTime() - clock.now().getTime()).toBe(30_000);

  // A second change meanwhile waits behind the first.
  clock.advance(10_000);
  await register({ channel: "TAOBAO", channelCustomerId: tb, name: "王晓明" });
  await hub.settle();
  expect(await dispatch()).toBe(0); // not due yet: nothing is sent, the newer one neither
  expect(receiver.calls.length - before).toBe(1);

  clock.advance(20_000);
  await dispatch(); // second 503
  first = (await deliveries()).find((d) => d.id === first.id)!;
  expect(first).toMatchObject({ status: "PENDING", attempts: 2, lastError: "HTTP 503" });

  clock.advance(60_000);
  await dispatch(); // delivered, then the newer one right behind it
  const calls = receiver.calls.slice(before);
  expect(calls.map((c) => c.status)).toEqual([503, 503, 204, 204]);
  expect(calls[0].headers["webhook-id"]).toBe(calls[2].headers["webhook-id"]); // same message id on retry
  const bodies = calls.slice(2).map((c) => verify(c, new Date(Number(c.headers["webhook-timestamp"]) * 1000)));
  expect(bodies[0].changes).toMatchObject({ phone: "+8613900000010" });
  expect(bodies[1].changes).toMatchObject({ displayName: "王晓明" });
  const deliveredAt = Number(calls[2].headers["webhook-timestamp"]) * 1000;
  expect(deliveredAt - changedAt.getTime()).toBeLessThan(FIVE_MINUTES);
  expect((await deliveries()).find((d) => d.id === first.id)).toMatchObject({ status: "DELIVERED", attempts: 3, lastError: null });
});

test("after OUTBOUND_MAX_ATTEMPTS a delivery is FAILED and no longer holds later ones back", async () => {
  const { tb } = await person("13800000003");
  const before = receiver.calls.length;
  receiver.failNext = 4;
  clock.advance(60_000);
  await register({ channel: "TAOBAO", channelCustomerId: tb, phone: "13900000011", phoneVerified: true });
  await hub.settle();
  for (let i = 0; i < 4; i++) {
    await dispatch();
    clock.advance(10 * 60_000);
  }
  const dead = (await deliveries()).slice(-1)[0];
  expect(dead).toMatchObject({ status: "FAILED", attempts: 4, lastError: "HTTP 503" });
  expect(dead.lastError).not.toContain("stack");

  await register({ channel: "TAOBAO", channelCustomerId: tb, name: "王大明" });
  await hub.settle();
  await dispatch();
  expect(receiver.calls.slice(before).map((c) => c.status)).toEqual([503, 503, 503, 503, 204]);
});

const REDELIVER = "mutation($ids: [ID!]!) { redeliverOutbound(ids: $ids) { id status attempts } }";

test("an admin finds FAILED deliveries and sends them again: same webhook-id, delivered on the next run", async () => {
  const { tb } = await person("13800000004");
  receiver.failNext = 4;
  clock.advance(60_000);
  await register({ channel: "TAOBAO", channelCustomerId: tb, phone: "13900000012", phoneVerified: true });
  await hub.settle();
  for (let i = 0; i < 4; i++) {
    await dispatch();
    clock.advance(10 * 60_000);
  }
  const list = await hub.ok("{ outboundDeliveries(status: FAILED, channel: JD, first: 100) { edges { node { id status attempts lastError webhookId type nextAttemptAt } } } }");
  const dead = list.outboundDeliveries.edges.map((e: any) => e.node).pop();
  expect(dead).toMatchObject({ status: "FAILED", attempts: 4, lastError: "HTTP 503", type: "customer.updated", nextAttemptAt: null });

  const supervisor = await hub.token(["cs_supervisor"]);
  expect((await hub.query(REDELIVER, { ids: [dead.id] }, supervisor)).errors![0].extensions!.code).toBe("FORBIDDEN");
  expect((await hub.query("{ outboundDeliveries(first: 1) { edges { cursor } } }", {}, supervisor)).errors![0].extensions!.code).toBe("FORBIDDEN");

  const before = receiver.calls.length;
  expect((await hub.ok(REDELIVER, { ids: [dead.id] })).redeliverOutbound).toEqual([{ id: dead.id, status: "PENDING", attempts: 0 }]);
  await dispatch();
  const calls = receiver.calls.slice(before);
  expect(calls.map((c) => c.status)).toEqual([204]);
  expect(calls[0].headers["webhook-id"]).toBe(dead.webhookId);
  expect(verify(calls[0], new Date(Number(calls[0].headers["webhook-timestamp"]) * 1000)).changes).toMatchObject({ phone: "+8613900000012" });
  const node = await hub.ok("query($id: ID!) { node(id: $id) { ... on OutboundDelivery { status attempts } } }", { id: dead.id });
  expect(node.node).toEqual({ status: "DELIVERED", attempts: 1 });
});

test("sending again a delivered delivery, or an unknown one, is refused and changes nothing", async () => {
  const rows = await deliveries();
  const delivered = rows.find((d) => d.status === "DELIVERED")!;
  const failed = rows.find((d) => d.status === "FAILED")!;
  const ids = [toGlobalId("OutboundDelivery", failed.id), toGlobalId("OutboundDelivery", delivered.id)];
  expect((await hub.query(REDELIVER, { ids }, hub.admin)).errors![0].extensions!.code).toBe("CONFLICT");
  expect((await hub.query(REDELIVER, { ids: [ids[0], toGlobalId("OutboundDelivery", 999999)] }, hub.admin)).errors![0].extensions!.code).toBe("NOT_FOUND");
  expect((await hub.query(REDELIVER, { ids: ["gid://orderhub/Customer/1"] }, hub.admin)).errors![0].extensions!.code).toBe("BAD_USER_INPUT");
  expect(await deliveries()).toEqual(rows);
});

test("a FAILED delivery for a channel no longer subscribed is not queued again: it would wait forever", async () => {
  const repo = hub.subgraphs.customers.ds.getRepository(OutboundDeliveryRow);
  const now = clock.now();
  const orphan = await repo.save(
    repo.create({ channel: Channel.TAOBAO, eventId: "00000000-0000-7000-8000-000000000001", type: "customer.updated", payload: { id: "x", type: "customer.updated", occurredAt: now.toISOString(), customerId: "gid://orderhub/Customer/1", identities: [] }, status: DeliveryStatus.FAILED, attempts: 4, nextAttemptAt: now, lastError: "HTTP 503", deliveredAt: null, createdAt: now }),
  );
  const r = await hub.query(REDELIVER, { ids: [toGlobalId("OutboundDelivery", orphan.id)] }, hub.admin);
  expect(r.errors![0].extensions!.code).toBe("CONFLICT");
  expect(r.errors![0].message).toContain("TAOBAO");
  expect(await repo.findOneByOrFail({ id: orphan.id })).toMatchObject({ status: "FAILED", attempts: 4 });
});

test("a change concerning only another channel's identities is not sent to JD", async () => {
  const tb = unique("tb-only");
  await register({ channel: "TAOBAO", channelCustomerId: tb, name: "赵六", phone: "13800000004" });
  await hub.settle();
  clock.advance(60_000);
  const rowsBefore = (await deliveries()).length;
  const callsBefore = receiver.calls.length;
  await register({ channel: "TAOBAO", channelCustomerId: tb, phone: "13900000012", phoneVerified: true });
  await hub.settle();
  await dispatch();
  // The golden record did change (so the event exists); it just does not concern JD.
  const events = await hub.subgraphs.customers.ds.getRepository(OutboxEvent).find({ where: { type: "customer.updated" } });
  expect(events.some((e) => JSON.stringify(e.payload).includes(tb) && JSON.stringify(e.payload).includes("+8613900000012"))).toBe(true);
  expect((await deliveries()).length).toBe(rowsBefore);
  expect(receiver.calls.length).toBe(callsBefore);
});

test("a redelivered outbox event creates no second delivery and no second call", async () => {
  const { tb } = await person("13800000005");
  clock.advance(60_000);
  await register({ channel: "TAOBAO", channelCustomerId: tb, phone: "13900000013", phoneVerified: true });
  await hub.settle();
  await dispatch();
  const row = (await deliveries()).slice(-1)[0];
  expect(row.status).toBe("DELIVERED");
  const callsBefore = receiver.calls.length;

  // As if the relay had crashed between publishing and marking: it publishes again.
  const outbox = hub.subgraphs.customers.ds.getRepository(OutboxEvent);
  await outbox.update({ id: row.eventId }, { publishedAt: null });
  expect(await outbox.countBy({ publishedAt: IsNull() })).toBe(1);
  await hub.settle();
  await dispatch();
  expect((await deliveries()).filter((d) => d.eventId === row.eventId)).toHaveLength(1);
  expect(receiver.calls.length).toBe(callsBefore);
});

test("two instances dispatching at once send each delivery once, and count one attempt", async () => {
  const { tb } = await person("13800000006");
  // A second customers instance on the same database runs its own dispatcher.
  const other = outboundDispatcher(hub.subgraphs.customers.ds, clock, outboundEnv());
  other.stop();
  try {
    for (const [n, phone] of ["13900000014", "13900000015", "13900000016"].entries()) {
      clock.advance(60_000);
      receiver.failNext = n === 1 ? 1 : 0;
      await register({ channel: "TAOBAO", channelCustomerId: tb, phone, phoneVerified: true });
      await hub.settle();
      const callsBefore = receiver.calls.length;
      await Promise.all([dispatch(), other.runOnce()]);
      const row = (await deliveries()).slice(-1)[0];
      expect(receiver.calls.slice(callsBefore).map((c) => c.headers["webhook-id"])).toEqual([`${row.eventId}_JD`]);
      expect(row).toMatchObject(n === 1 ? { status: "PENDING", attempts: 1, lastError: "HTTP 503" } : { status: "DELIVERED", attempts: 1 });
      if (n === 1) {
        clock.advance(30_000);
        await Promise.all([dispatch(), other.runOnce()]);
        expect((await deliveries()).slice(-1)[0]).toMatchObject({ status: "DELIVERED", attempts: 2 });
      }
    }
  } finally {
    other.stop();
  }
});

test("a delivery's attempt and outcome are kept when an unrelated transaction open meanwhile is rolled back", async () => {
  const { tb } = await person("13800000007");
  clock.advance(60_000);
  await register({ channel: "TAOBAO", channelCustomerId: tb, phone: "13900000017", phoneVerified: true });
  await hub.settle();
  const callsBefore = receiver.calls.length;
  let sending: Promise<unknown> | undefined;
  // Another piece of work holds a transaction open while the dispatcher runs, then fails.
  await expect(
    inTransaction(hub.subgraphs.customers.ds, async (em) => {
      await em.query("SELECT 1");
      sending = dispatch();
      // Give the dispatcher its chance to send while the transaction is open (it may also wait for it).
      for (let i = 0; i < 100 && receiver.calls.length === callsBefore; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100));
      throw new Error("unrelated failure");
    }),
  ).rejects.toThrow("unrelated failure");
  await sending;
  const row = (await deliveries()).slice(-1)[0];
  expect(row).toMatchObject({ status: "DELIVERED", attempts: 1 });
  expect(receiver.calls.slice(callsBefore).map((c) => c.headers["webhook-id"])).toEqual([`${row.eventId}_JD`]);
  // Nothing is sent twice.
  clock.advance(60_000);
  await dispatch();
  expect(receiver.calls.length).toBe(callsBefore + 1);
});

// Last: it stops the customers subgraph.
test("a shutdown during an outbound POST waits for it: the delivery is recorded as delivered, not sent again after a restart", async () => {
  const { tb, jd } = await person("13800000077");
  clock.advance(60_000);
  await register({ channel: "TAOBAO", channelCustomerId: tb, phone: "13900000077", phoneVerified: true });
  await hub.settle();
  clock.advance(5_000);

  let release!: () => void;
  receiver.hold = new Promise<void>((resolve) => (release = resolve));
  const arrived = new Promise<void>((resolve) => (receiver.onArrive = resolve));
  const run = dispatch();
  await arrived;
  // SIGTERM's path: stop while the channel has not answered yet.
  const customers = hub.subgraphs.customers;
  const stopped = customers.stop({ graceful: true, timeoutMs: 20_000 });
  // The channel answers a little later (the order of events is what matters, not the time).
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(customers.ds.isInitialized).toBe(true); // the database stays open for the run under way
  release();
  receiver.hold = undefined;
  receiver.onArrive = undefined;
  await stopped;
  // The run finished against an open database and recorded its outcome.
  await expect(run).resolves.toBeGreaterThanOrEqual(1);
  expect(customers.ds.isInitialized).toBe(false);
  await customers.ds.initialize();
  try {
    const rows = await customers.ds.getRepository(OutboundDeliveryRow).find({ where: { channel: Channel.JD } });
    const latest = rows.sort((a, b) => b.id - a.id)[0];
    expect(latest.payload).toMatchObject({ identities: [{ channelCustomerId: jd }] });
    expect(latest).toMatchObject({ status: "DELIVERED", attempts: 1, lastError: null });
  } finally {
    await customers.ds.destroy();
  }
});

import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { IsNull, type DataSource, type EntityManager } from "typeorm";
import { SUBGRAPHS } from "../gateway/subgraph-list";
import { DeliveryStatus, outboundDispatcher, OutboundDeliveryRow } from "../subgraphs/customers/outbound";
import { ManualClock } from "../subgraphs/kernel/clock";
import { Channel } from "../subgraphs/kernel/types";
import { ChannelEventRow, ChannelEventStatus, OrderRow } from "../subgraphs/orders/entities";
import { slaWatcher } from "../subgraphs/orders/sla";
import { OrderStatus } from "../subgraphs/orders/status";
import { dropDatabases, inTransaction, isSqlite, openDatabase } from "../subgraphs/kernel/database";
import { appendEvent, EVENT_ENTITIES, InProcessBus, OutboxEvent, OutboxRelay, RELAY_BATCH, RELAY_LEASE, type HubEvent } from "../subgraphs/kernel/events";
import { JobLease, Lease } from "../subgraphs/kernel/lease";
import { ingest, orderInput, sendWebhook, unique } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

/**
 * The outbox relay: what it publishes, in which order, with which feed position, and
 * how two instances of a service share one outbox. Real databases and the real bus;
 * each test opens its own service database (MariaDB with MYSQL_URL, else SQLite).
 */

const MYSQL_URL = process.env.MYSQL_URL;
const onMysql = MYSQL_URL ? test : test.skip;
const TYPE = "test.happened";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A service database as a subgraph opens it; `prefix` shares one MariaDB database between "instances". */
async function openServiceDb(prefix = `oht_outbox_${process.pid}_${Math.floor(Math.random() * 1e6)}`, service: "orders" | "customers" = "orders"): Promise<{ ds: DataSource; prefix: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "orderhub-outbox-"));
  const ds = await openDatabase({
    service,
    mysqlUrl: MYSQL_URL,
    dbNamePrefix: prefix,
    dataDir,
    entities: [...SUBGRAPHS[service].entities, ...EVENT_ENTITIES],
    migrations: SUBGRAPHS[service].migrations,
  });
  cleanups.push(async () => {
    if (ds.isInitialized) await ds.destroy();
    if (MYSQL_URL) await dropDatabases(MYSQL_URL, prefix, [service]);
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { ds, prefix };
}

/** A bus with one consumer that records what reaches it (what another service would get). */
function recordingBus(seen: HubEvent[] = []) {
  const bus = new InProcessBus();
  bus.consume("probe", [TYPE], async (e) => void seen.push(e));
  return { bus, seen };
}

function startRelay(ds: DataSource, bus: InProcessBus, leaseMs = 15_000) {
  // A long poll: the tests poke it, so what it does happens when they say.
  const relay = new OutboxRelay(ds, bus, leaseMs / 4, leaseMs);
  relay.start();
  cleanups.push(() => relay.stop());
  return relay;
}

const append = (ds: DataSource, aggregateId: string, payload: Record<string, unknown> = {}) =>
  inTransaction(ds, (em) => appendEvent(em, { aggregateId, type: TYPE, source: "test", payload }));

const unpublished = (ds: DataSource) => ds.getRepository(OutboxEvent).countBy({ publishedAt: IsNull() });

/** Pokes the relays until the outbox is published (or gives up after many rounds). */
async function drained(ds: DataSource, relays: OutboxRelay[]) {
  for (let round = 0; round < 600; round++) {
    await Promise.all(relays.map((r) => r.poke()));
    if ((await unpublished(ds)) === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the outbox was not published");
}

/** Gives a relay the chance to act while the caller holds a transaction open (a relay that waits for it, as it should, does nothing). */
const letItRun = (relay: OutboxRelay) => Promise.race([relay.poke(), new Promise((r) => setTimeout(r, 300))]);

const sequencesOf = (seen: HubEvent[], aggregateId: string) => seen.filter((e) => e.aggregateId === aggregateId).map((e) => e.sequence);

// ------------------------------------------------------------------ committed events only

test("a change that appends an event and then fails publishes nothing, even with the relay running meanwhile", async () => {
  const { ds } = await openServiceDb();
  const { bus, seen } = recordingBus();
  const relay = startRelay(ds, bus);
  await relay.poke();
  await expect(
    inTransaction(ds, async (em) => {
      await appendEvent(em, { aggregateId: "gid://orderhub/Order/1", type: TYPE, source: "test", payload: {} });
      await letItRun(relay);
      throw new Error("the change fails after its event");
    }),
  ).rejects.toThrow("the change fails after its event");
  await relay.poke();
  expect(seen).toEqual([]);
  expect(await ds.getRepository(OutboxEvent).count()).toBe(0);
}, 60_000);

test("marking an event published does not ride along in another transaction that then rolls back", async () => {
  const { ds } = await openServiceDb();
  const { bus, seen } = recordingBus();
  const relay = startRelay(ds, bus);
  await relay.poke();
  await append(ds, "gid://orderhub/Order/2");
  await expect(
    inTransaction(ds, async (em) => {
      await em.query("SELECT 1");
      await letItRun(relay);
      throw new Error("someone else's change fails");
    }),
  ).rejects.toThrow("someone else's change fails");
  await relay.poke();
  await relay.poke();
  // Published once and marked: a mark rolled back with the other transaction would publish it again.
  expect(seen.map((e) => e.aggregateId)).toEqual(["gid://orderhub/Order/2"]);
  expect(await unpublished(ds)).toBe(0);
}, 60_000);

// ------------------------------------------------------------------ order and positions

test("each aggregate's events are published in sequence order even when recordedAt says otherwise, across rounds", async () => {
  const { ds } = await openServiceDb();
  const base = Date.parse("2026-11-20T02:00:00Z");
  const row = (aggregateId: string, sequence: number, atMs: number) => ({
    id: `0000${String(atMs).padStart(4, "0")}-0000-7000-8000-${String(sequence).padStart(12, "0")}`,
    aggregateId,
    sequence,
    type: TYPE,
    occurredAt: new Date(base + atMs),
    recordedAt: new Date(base + atMs),
    source: "test",
    actor: null,
    payload: {},
    publishedAt: null,
  });
  // Another writer's clock was behind: sequence 1 was recorded last, after more than a round of others.
  const A = "gid://orderhub/Order/10";
  const rows = [row(A, 1, 5000), row(A, 2, 0), row(A, 3, 1)];
  for (let i = 0; i < RELAY_BATCH + 20; i++) rows.push(row(`gid://orderhub/Order/${100 + i}`, 1, 2 + i));
  await inTransaction(ds, (em) => em.insert(OutboxEvent, rows as never));

  const { bus, seen } = recordingBus();
  const relay = startRelay(ds, bus);
  await drained(ds, [relay]);

  expect(sequencesOf(seen, A)).toEqual([1, 2, 3]);
  expect(seen).toHaveLength(rows.length);
  // Feed positions follow the publish order, one each, no two alike.
  const positions = new Map((await ds.getRepository(OutboxEvent).find()).map((r) => [r.id, r.position]));
  const inPublishOrder = seen.map((e) => positions.get(e.id)!);
  expect(inPublishOrder.every((p) => Number.isSafeInteger(p))).toBe(true);
  expect(inPublishOrder).toEqual([...inPublishOrder].sort((a, b) => a - b));
  expect(new Set(inPublishOrder).size).toBe(rows.length);
}, 60_000);

onMysql("concurrent transactions appending to one aggregate are published in sequence order (MariaDB)", async () => {
  const { ds } = await openServiceDb();
  const { bus, seen } = recordingBus();
  const relay = startRelay(ds, bus);
  const aggregates = ["gid://orderhub/Order/20", "gid://orderhub/Order/21"];
  const N = 60;
  // The relay runs while they commit.
  const poking = (async () => {
    for (let i = 0; i < 40; i++) await relay.poke();
  })();
  await Promise.all(Array.from({ length: N }, (_, i) => append(ds, aggregates[i % 2], { i })));
  await poking;
  await drained(ds, [relay]);
  for (const a of aggregates) expect(sequencesOf(seen, a)).toEqual(Array.from({ length: N / 2 }, (_, i) => i + 1));
}, 120_000);

// ------------------------------------------------------------------ two instances

onMysql("two relays on one database: only the lease holder publishes, every event once, each aggregate in order; a killed holder's lease runs out and the other takes over (MariaDB)", async () => {
  const one = await openServiceDb();
  const two = await openServiceDb(one.prefix);
  const seen: HubEvent[] = [];
  const byRelay: string[][] = [[], []];
  const relays = [one.ds, two.ds].map((ds, i) => {
    const { bus } = recordingBus(seen);
    bus.consume("which", [TYPE], async (e) => void byRelay[i].push(e.id));
    return startRelay(ds, bus, 1_000);
  });
  const aggregates = Array.from({ length: 4 }, (_, i) => `gid://orderhub/Order/${30 + i}`);
  const appendMany = (n: number, tag: string) =>
    Promise.all(Array.from({ length: n }, (_, i) => append(i % 2 ? one.ds : two.ds, aggregates[i % aggregates.length], { tag, i })));
  const poking = (async () => {
    for (let i = 0; i < 30; i++) await Promise.all(relays.map((r) => r.poke()));
  })();
  await appendMany(80, "both running");
  await poking;
  await drained(one.ds, relays);

  const expectOnceInOrder = async (ds = one.ds) => {
    const ids = seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(await ds.getRepository(OutboxEvent).count());
    for (const a of aggregates) {
      const s = sequencesOf(seen, a);
      expect(s).toEqual(Array.from({ length: s.length }, (_, i) => i + 1));
    }
  };
  await expectOnceInOrder();
  expect(byRelay.filter((ids) => ids.length > 0)).toHaveLength(1);

  // Kill the holder: its database connections go away and it never gives the lease back.
  const holder = byRelay[0].length ? 0 : 1;
  const other = 1 - holder;
  await [one.ds, two.ds][holder].destroy();
  await relays[holder].stop();
  const lease = await [one.ds, two.ds][other].getRepository(JobLease).findOneByOrFail({ name: RELAY_LEASE });
  expect(lease.holder).toBe(relays[holder].lease.holder);

  const before = byRelay[other].length;
  await Promise.all(Array.from({ length: 20 }, (_, i) => append([one.ds, two.ds][other], aggregates[i % aggregates.length], { tag: "after the kill", i })));
  await drained([one.ds, two.ds][other], [relays[other]]);
  expect(byRelay[other].length - before).toBe(20);
  // Counted on the survivor's connection: the holder's is gone.
  await expectOnceInOrder([one.ds, two.ds][other]);
}, 120_000);

onMysql("the lease: one holder at a time among many asking at once; renewing keeps it; released, another gets it (MariaDB)", async () => {
  const { ds } = await openServiceDb();
  const leases = Array.from({ length: 8 }, () => new Lease(ds, "a-job", 5_000));
  const got = await Promise.all(leases.map((l) => l.hold()));
  expect(got.filter(Boolean)).toHaveLength(1);
  const winner = leases[got.indexOf(true)];
  expect(await winner.hold()).toBe(true);
  expect((await Promise.all(leases.filter((l) => l !== winner).map((l) => l.hold()))).some(Boolean)).toBe(false);
  await winner.release();
  const next = await Promise.all(leases.filter((l) => l !== winner).map((l) => l.hold()));
  expect(next.filter(Boolean)).toHaveLength(1);
}, 60_000);

test("a lease whose holder stopped renewing is taken over once it has expired", async () => {
  const { ds } = await openServiceDb();
  const dead = new Lease(ds, "a-job", 500);
  const alive = new Lease(ds, "a-job", 500);
  expect(await dead.hold()).toBe(true);
  expect(await alive.hold()).toBe(false);
  // The dead one never asks again; the other keeps asking, as the relay does at every poll.
  let taken = false;
  for (let i = 0; i < 100 && !taken; i++) {
    await new Promise((r) => setTimeout(r, 50));
    taken = await alive.hold();
  }
  expect(taken).toBe(true);
  expect((await ds.getRepository(JobLease).findOneByOrFail({ name: "a-job" })).holder).toBe(alive.holder);
}, 60_000);

// ------------------------------------------------------------------ scheduled jobs with two instances

onMysql("two instances' SLA watchers running at once open one SLA_BREACH per late order, none twice, none missed (MariaDB)", async () => {
  const one = await openServiceDb();
  const two = await openServiceDb(one.prefix);
  const clock = new ManualClock(new Date("2026-11-20T02:00:00Z"));
  const since = new Date(clock.now().getTime() - 24 * 3600_000);
  const LATE = 120;
  await one.ds.createQueryBuilder().insert().into(OrderRow).values(
    Array.from({ length: LATE }, (_, i) => ({
      channel: Channel.POS,
      channelOrderId: `SLA-TWO-${i}`,
      status: OrderStatus.PAID,
      placedAt: since,
      buyerChannelCustomerId: "walk-in:S1",
      currency: "CNY",
      subtotalMinor: 100,
      discountMinor: 0,
      shippingMinor: 0,
      totalMinor: 100,
      shippingAddress: null,
      promisedDeliveryBy: null,
      statusChangedAt: new Date(since.getTime() + i * 1000),
      sourceUpdatedAt: since,
      onHold: false,
      holdReason: null,
      number: null,
    })),
  ).execute();
  const env = { SLA_MINUTES: "30", SLA_CHECK_SECONDS: "86400" };
  const watchers = [one.ds, two.ds].map((ds) => {
    const w = slaWatcher(ds, clock, new OutboxRelay(ds, new InProcessBus()), env);
    cleanups.push(async () => w.stop());
    return w;
  });
  const opened = (await Promise.all([...watchers, ...watchers].map((w) => w.runOnce()))) as number[];
  expect(opened.reduce((a, b) => a + b, 0)).toBe(LATE);
  const perOrder = await one.ds.query("SELECT orderId, COUNT(*) AS n FROM order_exceptions WHERE kind = 'SLA_BREACH' GROUP BY orderId");
  expect(perOrder).toHaveLength(LATE);
  expect(perOrder.every((r: { n: unknown }) => Number(r.n) === 1)).toBe(true);
  const [{ n }] = await one.ds.query("SELECT COUNT(*) AS n FROM outbox_events WHERE type = 'order.exception_opened'");
  expect(Number(n)).toBe(LATE);
}, 120_000);

onMysql("two instances' outbound dispatchers running at once send each due delivery once, in order per channel (MariaDB)", async () => {
  const one = await openServiceDb(undefined, "customers");
  const two = await openServiceDb(one.prefix, "customers");
  const clock = new ManualClock(new Date("2026-11-20T02:00:00Z"));
  const received: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received.push(String(req.headers["webhook-id"]));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  const DUE = 40;
  const rows = Array.from({ length: DUE }, (_, i) => ({
    channel: Channel.JD,
    eventId: `00000000-0000-7000-8000-${String(i).padStart(12, "0")}`,
    type: "customer.updated",
    payload: { id: `e${i}`, type: "customer.updated", occurredAt: clock.now().toISOString(), customerId: "gid://orderhub/Customer/1", identities: [] },
    status: DeliveryStatus.PENDING,
    attempts: 0,
    nextAttemptAt: new Date(clock.now().getTime() - 1000),
    lastError: null,
    deliveredAt: null,
    createdAt: clock.now(),
  }));
  await one.ds.createQueryBuilder().insert().into(OutboundDeliveryRow).values(rows).execute();
  const env = {
    OUTBOUND_WEBHOOK_URL_JD: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    OUTBOUND_WEBHOOK_SECRET_JD: `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
    OUTBOUND_POLL_SECONDS: "60",
  };
  const dispatchers = [one.ds, two.ds].map((ds) => {
    const d = outboundDispatcher(ds, clock, env);
    cleanups.push(async () => d.stop());
    return d;
  });
  // Both run, again and again, until nothing is pending (a delivery being sent by one is leased from the other).
  for (let round = 0; round < 50; round++) {
    await Promise.all([...dispatchers, ...dispatchers].map((d) => d.runOnce()));
    if ((await one.ds.getRepository(OutboundDeliveryRow).countBy({ status: DeliveryStatus.PENDING })) === 0) break;
  }
  expect(received).toEqual(rows.map((r) => `${r.eventId}_JD`));
  expect(await one.ds.getRepository(OutboundDeliveryRow).countBy({ status: DeliveryStatus.DELIVERED, attempts: 1 })).toBe(DUE);
}, 120_000);

// ------------------------------------------------------------------ the customer change feed, through the gateway

describe("through the hub", () => {
  let hub: TestHub;
  beforeAll(async () => {
    // Only the tests run the schedulers (runOnce).
    hub = await startTestHub({ SLA_CHECK_SECONDS: "86400" });
  }, 60_000);
  afterAll(() => hub?.stop());

  const FEED = "query($a: String) { customerChanges(first: 2, after: $a) { edges { cursor node { type customerId } } pageInfo { hasNextPage endCursor } } }";
  /** A poller: reads from its last cursor to the end of the feed, as a client polls. */
  async function poll(after: string | null) {
    const seen: Array<{ type: string; customerId: string }> = [];
    for (;;) {
      const page: any = (await hub.ok(FEED, { a: after })).customerChanges;
      seen.push(...page.edges.map((e: any) => e.node));
      after = page.pageInfo.endCursor ?? after;
      if (!page.pageInfo.hasNextPage) return { seen, after };
    }
  }

  test("a poller of customerChanges sees a change whose transaction began first but committed last", async () => {
    const ds = hub.subgraphs.customers.ds;
    const change = (em: EntityManager, customerId: string, type: string) => appendEvent(em, { aggregateId: customerId, type, source: "test", payload: {} });
    const late = "gid://orderhub/Customer/900001";
    const early = "gid://orderhub/Customer/900002";
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let appended!: () => void;
    const lateAppended = new Promise<void>((r) => (appended = r));
    // Begins first (its event gets the earlier id and time), commits last.
    const first = inTransaction(ds, async (em) => {
      await change(em, late, "customer.updated");
      appended();
      await gate;
    });
    await lateAppended;
    const second = inTransaction(ds, (em) => change(em, early, "customer.updated"));
    // On SQLite transactions run one at a time: the second waits for the first, and so does the relay.
    if (!isSqlite(ds)) {
      await second;
      await hub.settle();
    }
    const start = await poll(null);
    if (!isSqlite(ds)) expect(start.seen.map((n) => n.customerId)).toContain(early);
    release();
    await first;
    await second;
    await hub.settle();
    const next = await poll(start.after);
    const all = [...start.seen, ...next.seen].map((n) => n.customerId);
    expect(all.filter((id) => id === late || id === early).sort()).toEqual([late, early].sort());
  }, 60_000);

  test("a poller's cursor from before the feed paged by position goes on after the event it names", async () => {
    const ds = hub.subgraphs.customers.ds;
    const [one, two] = ["gid://orderhub/Customer/900011", "gid://orderhub/Customer/900012"];
    const first = await inTransaction(ds, (em) => appendEvent(em, { aggregateId: one, type: "customer.updated", source: "test", payload: {} }));
    await inTransaction(ds, (em) => appendEvent(em, { aggregateId: two, type: "customer.updated", source: "test", payload: {} }));
    await hub.settle();
    // Such a cursor held the event's id.
    const old = Buffer.from(JSON.stringify([first.id])).toString("base64url");
    const ids = (await poll(old)).seen.map((n) => n.customerId);
    expect(ids).toContain(two);
    expect(ids).not.toContain(one);
  }, 60_000);

  // A channel's event for an order the hub has not seen is held, and applied by the
  // transaction that creates the order; nothing replays held events later. Both
  // arriving at once (two instances, or two connections of one) must not leave it held.
  onMysql("an order and its held event arriving at the same time: the event is applied, never left held (MariaDB)", async () => {
    const orders = Array.from({ length: 30 }, () => unique("W-race"));
    await Promise.all(
      orders.flatMap((channelOrderId) => [
        ingest(hub, orderInput({ channelOrderId, status: "PENDING_PAYMENT" })),
        sendWebhook(hub, "web", { eventId: unique("e"), type: "order.paid", occurredAt: new Date().toISOString(), order: { channelOrderId }, payment: {} }).then((r) => expect(r.status).toBeLessThan(300)),
      ]),
    );
    const ds = hub.subgraphs.orders.ds;
    const held = await ds.query(`SELECT channelOrderId FROM channel_events WHERE status = 'HELD' AND channelOrderId IN (${orders.map(() => "?").join(", ")})`, orders);
    expect(held).toEqual([]);
    const statuses = await ds.query(`SELECT status FROM orders WHERE channelOrderId IN (${orders.map(() => "?").join(", ")})`, orders);
    expect(statuses.map((r: { status: string }) => r.status)).toEqual(orders.map(() => expect.not.stringMatching(/^PENDING_PAYMENT$/)));
  }, 120_000);

  onMysql("an order created while its held event's transaction is still open applies that event once it commits (MariaDB)", async () => {
    // The webhook's transaction as far as it goes before committing: its event stored as
    // held, since it found no order. It commits only after the order's transaction looked.
    const channelOrderId = unique("W-late-held");
    const ds = hub.subgraphs.orders.ds;
    const webhook = ds.createQueryRunner();
    await webhook.connect();
    await webhook.startTransaction("READ COMMITTED");
    const eventId = unique("e");
    const event = { eventId, type: "order.paid", occurredAt: new Date().toISOString(), order: { channelOrderId }, payment: {} };
    await webhook.manager.insert(ChannelEventRow, {
      channel: Channel.WEB,
      eventId,
      type: event.type,
      channelOrderId,
      occurredAt: new Date(event.occurredAt),
      receivedAt: new Date(),
      status: ChannelEventStatus.HELD,
      note: null,
      orderId: null,
      canonical: event,
      rawPayload: JSON.stringify(event),
    } as never);
    const created = ingest(hub, orderInput({ channelOrderId, status: "PENDING_PAYMENT" }));
    await Promise.race([created, new Promise((r) => setTimeout(r, 500))]);
    await webhook.commitTransaction();
    await webhook.release();
    await created;
    const [row] = await ds.query("SELECT status FROM channel_events WHERE eventId = ?", [eventId]);
    expect(row.status).toBe(ChannelEventStatus.APPLIED);
    const [order] = await ds.query("SELECT status FROM orders WHERE channelOrderId = ?", [channelOrderId]);
    expect(order.status).not.toBe(OrderStatus.PENDING_PAYMENT);
  }, 60_000);
});

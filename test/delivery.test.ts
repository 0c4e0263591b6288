import { freePort } from "./support/services";
import { In } from "typeorm";
import { gatewayConfig } from "../gateway/config";
import { demoEnv, loadOrCreateDemoKeys } from "../gateway/demo-keys";
import { parkedEventsClient, parkedEventsUrl } from "../gateway/operations";
import { startGateway, type RunningGateway } from "../gateway/server";
import { v7 as uuidv7 } from "uuid";
import { buyerLinkSubscriptions, BuyerLinkRow, CustomerAliasRow, isNewerSource } from "../subgraphs/kernel/buyer-links";
import { ManualClock } from "../subgraphs/kernel/clock";
import { ServiceConsumer } from "../subgraphs/kernel/delivery";
import { deliveryConfig } from "../subgraphs/kernel/config";
import { DeliveryAuditRow, DeliveryHoldRow, HoldState, nextAttemptAfter } from "../subgraphs/kernel/delivery-holds";
import { OutboxEvent, ProcessedEvent, toHubEvent, type HubEvent, type Subscription } from "../subgraphs/kernel/events";
import { graphql } from "../gateway/client";
import { ingest, orderInput } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

const clock = new ManualClock(new Date("2026-11-20T02:00:00Z"));
let hub: TestHub;

beforeAll(async () => {
  // The hub's own retry job waits an hour between runs: these tests run it themselves, with the clock moved.
  hub = await startTestHub({ EVENT_MAX_DELIVERIES: "3", EVENT_RETRY_BASE_MS: "1000", EVENT_RETRY_POLL_SECONDS: "3600" }, { clock });
}, 60_000);
afterAll(() => hub?.stop());

let run = 0;
/** An event of a test aggregate, unique to this run of the file. */
function event(aggregate: string, sequence: number, type = "test.thing", payload: Record<string, unknown> = {}): HubEvent {
  const now = clock.now().toISOString();
  return { id: uuidv7(), aggregateId: aggregate, sequence, type, occurredAt: now, recordedAt: now, source: "test", actor: null, payload };
}

/**
 * A subscription that fails for the aggregates in `failing` and records what it applied.
 * What it applied is written in the delivery transaction (a processed mark per event is
 * the proof), and `calls` counts every attempt.
 */
function flaky(consumer: string) {
  const failing = new Set<string>();
  const applied: string[] = [];
  const calls = new Map<string, number>();
  const sub: Subscription = {
    consumer,
    types: ["test.thing"],
    async apply(_em, e) {
      calls.set(e.id, (calls.get(e.id) ?? 0) + 1);
      if (failing.has(e.aggregateId)) throw new Error(`cannot apply ${e.aggregateId} #${e.sequence} yet`);
      applied.push(`${e.aggregateId}#${e.sequence}`);
    },
  };
  return { sub, failing, applied, calls };
}

const ds = () => hub.subgraphs.products.ds;
const holdsOf = (consumer: string) => ds().getRepository(DeliveryHoldRow).find({ where: { consumer }, order: { aggregateId: "ASC", sequence: "ASC" } });
const processed = (consumer: string, events: HubEvent[]) => ds().getRepository(ProcessedEvent).countBy({ consumer, eventId: In(events.map((e) => e.id)) });

describe("a delivery that fails", () => {
  test("is held for its consumer and aggregate and deliver returns; later events of that aggregate wait behind it, other aggregates go on; a redelivery changes nothing", async () => {
    const t = flaky(`test.held.${++run}`);
    const consumer = new ServiceConsumer(ds(), "products", [t.sub], undefined, { clock, config: deliveryConfig({ EVENT_MAX_DELIVERIES: "3" }) });
    const [a1, a2, b1] = [event("gid://orderhub/Order/1001", 1), event("gid://orderhub/Order/1001", 2), event("gid://orderhub/Order/1002", 1)];
    t.failing.add(a1.aggregateId);

    await expect(consumer.deliver(a1)).resolves.toBeUndefined();
    t.failing.delete(a1.aggregateId); // the follower would succeed: it waits all the same
    await consumer.deliver(a2);
    await consumer.deliver(b1);
    await consumer.deliver(a1); // redelivered by the bus

    expect(t.applied).toEqual(["gid://orderhub/Order/1002#1"]);
    const holds = await holdsOf(t.sub.consumer);
    expect(holds.map((h) => ({ event: h.eventId, state: h.state, attempts: h.attempts }))).toEqual([
      { event: a1.id, state: HoldState.FAILING, attempts: 1 },
      { event: a2.id, state: HoldState.WAITING, attempts: 0 },
    ]);
    expect(holds[0].lastError).toBe("cannot apply gid://orderhub/Order/1001 #1 yet");
    expect(holds[0].nextAttemptAt.toISOString()).toBe(new Date(clock.now().getTime() + 1000).toISOString());
    expect(await processed(t.sub.consumer, [a1, a2])).toBe(0);
  });

  test("the retry job retries the head when due, then applies its followers in sequence order", async () => {
    const t = flaky(`test.retry.${++run}`);
    const consumer = new ServiceConsumer(ds(), "products", [t.sub], undefined, { clock, config: deliveryConfig({ EVENT_MAX_DELIVERIES: "3" }) });
    const agg = "gid://orderhub/Order/2001";
    const events = [1, 2, 3].map((s) => event(agg, s));
    t.failing.add(agg);
    // Out of order on the bus: 1 fails, then 3 and 2 wait; they are applied by sequence.
    await consumer.deliver(events[0]);
    await consumer.deliver(events[2]);
    await consumer.deliver(events[1]);
    t.failing.delete(agg);

    expect(await consumer.queues.retryDue()).toBe(0); // not due yet
    clock.advance(1000);
    expect(await consumer.queues.retryDue()).toBe(1);
    expect(t.applied).toEqual([`${agg}#1`, `${agg}#2`, `${agg}#3`]);
    expect(await holdsOf(t.sub.consumer)).toEqual([]);
    expect(await processed(t.sub.consumer, events)).toBe(3);
    // A new event of the aggregate is applied at once again.
    await consumer.deliver(event(agg, 4));
    expect(t.applied).toEqual([`${agg}#1`, `${agg}#2`, `${agg}#3`, `${agg}#4`]);
  });

  test("after EVENT_MAX_DELIVERIES attempts (backing off) the head is parked with its last error; its followers keep waiting and the job leaves it alone", async () => {
    const t = flaky(`test.park.${++run}`);
    const consumer = new ServiceConsumer(ds(), "products", [t.sub], undefined, { clock, config: deliveryConfig({ EVENT_MAX_DELIVERIES: "3" }) });
    const agg = "gid://orderhub/Order/3001";
    const [e1, e2] = [event(agg, 1), event(agg, 2)];
    t.failing.add(agg);
    await consumer.deliver(e1);
    await consumer.deliver(e2);

    clock.advance(1000);
    expect(await consumer.queues.retryDue()).toBe(1);
    const second = (await holdsOf(t.sub.consumer))[0];
    expect(second).toMatchObject({ state: HoldState.FAILING, attempts: 2 });
    expect(second.nextAttemptAt.getTime() - clock.now().getTime()).toBe(2000); // 1 s, then 2 s
    clock.advance(1999);
    expect(await consumer.queues.retryDue()).toBe(0);
    clock.advance(1);
    expect(await consumer.queues.retryDue()).toBe(1);

    const [head, follower] = await holdsOf(t.sub.consumer);
    expect(head).toMatchObject({ eventId: e1.id, state: HoldState.PARKED, attempts: 3, lastError: `cannot apply ${agg} #1 yet` });
    expect(head.parkedAt).not.toBeNull();
    expect(follower).toMatchObject({ eventId: e2.id, state: HoldState.WAITING, attempts: 0 });
    clock.advance(86_400_000);
    expect(await consumer.queues.retryDue()).toBe(0);
    expect(t.calls.get(e1.id)).toBe(3);
    expect(t.calls.get(e2.id)).toBeUndefined();
  });

  test("two instances retrying at once: each due head is attempted by one of them, never twice", async () => {
    const t = flaky(`test.twice.${++run}`);
    const config = deliveryConfig({ EVENT_MAX_DELIVERIES: "5" });
    const one = new ServiceConsumer(ds(), "products", [t.sub], undefined, { clock, config });
    const two = new ServiceConsumer(ds(), "products", [t.sub], undefined, { clock, config });
    const events = Array.from({ length: 20 }, (_, i) => event(`gid://orderhub/Order/${4000 + i}`, 1));
    events.forEach((e) => t.failing.add(e.aggregateId));
    for (const e of events) await one.deliver(e);
    clock.advance(1000);

    const [a, b] = await Promise.all([one.queues.retryDue(), two.queues.retryDue()]);
    expect(a + b).toBe(20);
    expect(events.map((e) => t.calls.get(e.id))).toEqual(events.map(() => 2)); // the first delivery and one retry
    expect((await holdsOf(t.sub.consumer)).map((h) => h.attempts)).toEqual(events.map(() => 2));
  });

  test("when the failure cannot be recorded, deliver throws (the bus delivers again) and nothing is lost", async () => {
    const t = flaky(`test.down.${++run}`);
    const consumer = new ServiceConsumer(ds(), "products", [t.sub], undefined, { clock, config: deliveryConfig({}) });
    const e = event("gid://orderhub/Order/5001", 1);
    t.failing.add(e.aggregateId);
    await ds().query("ALTER TABLE delivery_holds RENAME TO delivery_holds_away");
    try {
      await expect(consumer.deliver(e)).rejects.toThrow();
    } finally {
      await ds().query("ALTER TABLE delivery_holds_away RENAME TO delivery_holds");
    }
    expect(await holdsOf(t.sub.consumer)).toEqual([]);
    await consumer.deliver(e); // delivered again
    expect((await holdsOf(t.sub.consumer)).map((h) => h.eventId)).toEqual([e.id]);
  });

  test("EVENT_MAX_DELIVERIES is validated", () => {
    expect(deliveryConfig({}).maxDeliveries).toBe(10);
    expect(() => deliveryConfig({ EVENT_MAX_DELIVERIES: "0" })).toThrow(/EVENT_MAX_DELIVERIES="0" is invalid/);
    expect(() => deliveryConfig({ EVENT_MAX_DELIVERIES: "ten" })).toThrow(/EVENT_MAX_DELIVERIES/);
    expect(nextAttemptAfter(40, new Date(0), { baseDelayMs: 1000, maxDelayMs: 600_000 }).getTime()).toBe(600_000);
  });
});

describe("exactly once", () => {
  test("the same event delivered by two instances at once, and again after: applied once, with one processed mark", async () => {
    const applied: string[] = [];
    const consumerName = `test.once.${++run}`;
    const sub: Subscription = {
      consumer: consumerName,
      types: ["test.thing"],
      async apply(em, e) {
        // Slow enough that the other deliveries arrive while this one is open (MariaDB: they wait on its processed mark).
        await em.query("SELECT 1");
        await new Promise((resolve) => setTimeout(resolve, 50));
        applied.push(e.id);
      },
    };
    const one = new ServiceConsumer(ds(), "products", [sub], undefined, { clock, config: deliveryConfig({}) });
    const two = new ServiceConsumer(ds(), "products", [sub], undefined, { clock, config: deliveryConfig({}) });
    const e = event("gid://orderhub/Order/6001", 1);
    await Promise.all([one.deliver(e), two.deliver(e), two.deliver(e)]);
    await one.deliver(e); // a redelivery after it committed
    expect(applied).toEqual([e.id]);
    expect(await processed(consumerName, [e])).toBe(1);
    expect(await holdsOf(consumerName)).toEqual([]);
  });

  test("an event a subscription does not want is passed by: not applied, not marked, not held, even behind a held one", async () => {
    const t = flaky(`test.unwanted.${++run}`);
    const sub: Subscription = { ...t.sub, wants: (e) => e.payload.wanted === true };
    const consumer = new ServiceConsumer(ds(), "products", [sub], undefined, { clock, config: deliveryConfig({ EVENT_MAX_DELIVERIES: "3" }) });
    const agg = "gid://orderhub/Order/6003";
    const [wanted, unwanted] = [event(agg, 1, "test.thing", { wanted: true }), event(agg, 2, "test.thing", { wanted: false })];
    t.failing.add(agg);
    await consumer.deliver(wanted); // held
    await consumer.deliver(unwanted); // would wait behind it, if it were wanted
    expect((await holdsOf(sub.consumer)).map((h) => h.eventId)).toEqual([wanted.id]);
    t.failing.delete(agg);
    clock.advance(1000);
    expect(await consumer.queues.retryDue()).toBe(1);
    await consumer.deliver(unwanted); // a redelivery is passed by again
    expect(t.applied).toEqual([`${agg}#1`]);
    expect(t.calls.get(unwanted.id)).toBeUndefined();
    expect(await processed(sub.consumer, [wanted, unwanted])).toBe(1);
    expect(await holdsOf(sub.consumer)).toEqual([]);
  });

  test("a wants that throws on a payload it did not expect does not stop the bus: the event goes to apply, and is held if apply fails too", async () => {
    const t = flaky(`test.wants-throws.${++run}`);
    const sub: Subscription = { ...t.sub, wants: (e) => (e.payload.inner as { ok: boolean }).ok };
    const consumer = new ServiceConsumer(ds(), "products", [sub], undefined, { clock, config: deliveryConfig({ EVENT_MAX_DELIVERIES: "3" }) });
    const [odd, failing] = [event("gid://orderhub/Order/6004", 1), event("gid://orderhub/Order/6005", 1)];
    t.failing.add(failing.aggregateId);
    await consumer.deliver(odd); // no `inner`: wants throws, apply runs
    await consumer.deliver(failing); // wants throws, apply throws: held, deliver returns
    expect(t.applied).toEqual(["gid://orderhub/Order/6004#1"]);
    expect((await holdsOf(sub.consumer)).map((h) => h.eventId)).toEqual([failing.id]);
  });

  test("a redelivery of an applied event behind a held one of its aggregate is neither applied again nor held", async () => {
    const t = flaky(`test.applied-then-held.${++run}`);
    const consumer = new ServiceConsumer(ds(), "products", [t.sub], undefined, { clock, config: deliveryConfig({ EVENT_MAX_DELIVERIES: "3" }) });
    const agg = "gid://orderhub/Order/6002";
    const [e1, e2] = [event(agg, 1), event(agg, 2)];
    // Out of order on the bus: #2 applied with the queue empty, then #1 fails and is held.
    await consumer.deliver(e2);
    t.failing.add(agg);
    await consumer.deliver(e1);
    t.failing.delete(agg);
    await consumer.deliver(e2); // redelivered, with #1 held ahead of it: done already
    expect(t.applied).toEqual([`${agg}#2`]);
    expect((await holdsOf(t.sub.consumer)).map((h) => h.eventId)).toEqual([e1.id]);
    clock.advance(1000);
    expect(await consumer.queues.retryDue()).toBe(1);
    expect(t.applied).toEqual([`${agg}#2`, `${agg}#1`]);
    expect(await holdsOf(t.sub.consumer)).toEqual([]);
    expect(t.calls.get(e2.id)).toBe(1);
    expect(await processed(t.sub.consumer, [e1, e2])).toBe(2);
  });
});

describe("through the relay and the bus", () => {
  const TRANSITION = "mutation($id: ID!, $to: OrderStatus!) { transitionOrder(id: $id, to: $to) { status } }";
  const statusIn = async (orderId: string) =>
    (await hub.subgraphs.aftersales.ds.query("SELECT status FROM order_refs WHERE orderKey = ?", [Number(orderId.split("/").pop())]))[0]?.status;

  test("an event after-sales cannot apply no longer blocks the outbox: it is held, and the next order's events reach after-sales", async () => {
    const stuck = await ingest(hub, orderInput({ channelOrderId: `W-stuck-${process.pid}` }));
    await hub.settle();
    // After-sales lost this order's snapshot: its next status change cannot be applied there.
    await hub.subgraphs.aftersales.ds.query("DELETE FROM order_refs WHERE orderKey = ?", [Number(stuck.id.split("/").pop())]);
    await hub.ok(TRANSITION, { id: stuck.id, to: "FULFILLING" });
    await hub.settle(); // the outbox drains all the same

    const next = await ingest(hub, orderInput({ channelOrderId: `W-next-${process.pid}` }));
    await hub.ok(TRANSITION, { id: next.id, to: "FULFILLING" });
    await hub.settle();
    expect(await statusIn(next.id)).toBe("FULFILLING");
    const held = await hub.subgraphs.aftersales.ds.getRepository(DeliveryHoldRow).find({ where: { aggregateId: stuck.id } });
    expect(held.map((h) => ({ consumer: h.consumer, type: h.type, state: h.state }))).toEqual([{ consumer: "aftersales.order-status", type: "order.status_changed", state: HoldState.FAILING }]);
  });
});

describe("projections never go back to an older event", () => {
  const links = () => hub.subgraphs.aftersales.ds;

  test("a buyer link keeps the newer identity_linked of its customer when the older one arrives last", async () => {
    const consumer = new ServiceConsumer(links(), "aftersales", buyerLinkSubscriptions(`test.links.${++run}`), undefined, { clock });
    const customer = "gid://orderhub/Customer/7001";
    const older = event(customer, 4, "customer.identity_linked", { channel: "WEB", channelCustomerId: `late-${run}`, customerKey: 7001, tier: "STANDARD" });
    const newer = event(customer, 5, "customer.identity_linked", { channel: "WEB", channelCustomerId: `late-${run}`, customerKey: 7001, tier: "GOLD" });
    await consumer.deliver(newer);
    await consumer.deliver(older);
    expect(await links().getRepository(BuyerLinkRow).findOneBy({ channel: "WEB" as never, channelCustomerId: `late-${run}` })).toMatchObject({ tier: "GOLD", sourceSequence: 5 });
  });

  test("an unmerge delivered before the merge it undoes stays undone", async () => {
    const consumer = new ServiceConsumer(links(), "aftersales", buyerLinkSubscriptions(`test.aliases.${++run}`), undefined, { clock });
    const survivor = "gid://orderhub/Customer/7100";
    const merged = event(survivor, 3, "customer.merged", { survivorKey: 7100, absorbedKeys: [7101] });
    const unmerged = event(survivor, 4, "customer.unmerged", { customerKey: 7100, restoredKeys: [7101] });
    await consumer.deliver(unmerged);
    await consumer.deliver(merged);
    // 7101 stands for itself again: a shopper signed in as 7101 is not taken for 7100.
    expect(await links().getRepository(CustomerAliasRow).findOneBy({ aliasKey: 7101 })).toMatchObject({ survivorKey: 7101, sourceSequence: 4 });
  });

  test("between customers the later write wins by the event's time-ordered id", () => {
    const a = { id: uuidv7(), aggregateId: "gid://orderhub/Customer/1", sequence: 9 };
    const b = { id: uuidv7(), aggregateId: "gid://orderhub/Customer/2", sequence: 1 };
    const keptFromA = { sourceAggregateId: a.aggregateId, sourceSequence: a.sequence, sourceEventId: a.id };
    expect(isNewerSource(keptFromA, b)).toBe(true);
    expect(isNewerSource({ sourceAggregateId: b.aggregateId, sourceSequence: b.sequence, sourceEventId: b.id }, a)).toBe(false);
    expect(isNewerSource(keptFromA, { ...a, sequence: 8 })).toBe(false);
  });
});

describe("parked events through the gateway (admin)", () => {
  const LIST = "query($first: Int, $after: String) { parkedEvents(first: $first, after: $after) { edges { cursor node { id service consumer eventId type aggregateId sequence attempts lastError firstFailedAt parkedAt waitingBehind } } pageInfo { hasNextPage endCursor } } }";
  const RETRY = "mutation($ids: [ID!]!) { retryParkedEvents(ids: $ids) { id outcome error followersApplied } }";
  const TRANSITION = "mutation($id: ID!, $to: OrderStatus!) { transitionOrder(id: $id, to: $to) { status } }";
  let parkedId: string;
  let order: { id: string };
  let created: HubEvent;
  let statuses: HubEvent[];

  /** After-sales as it was before this order's events reached it; then its statuses arrive first and fail until parked. */
  beforeAll(async () => {
    order = await ingest(hub, orderInput({ channelOrderId: `W-park-${process.pid}`, lines: [{ channelSkuId: "A", quantity: 1, unitPrice: "10.00" }] }));
    await hub.ok(TRANSITION, { id: order.id, to: "FULFILLING" });
    await hub.ok(TRANSITION, { id: order.id, to: "CANCELLED" });
    await hub.settle();
    const rows = await hub.subgraphs.orders.ds.getRepository(OutboxEvent).find({ where: { aggregateId: order.id }, order: { sequence: "ASC" } });
    created = toHubEvent(rows.find((r) => r.type === "order.created")!);
    statuses = rows.filter((r) => r.type === "order.status_changed").map(toHubEvent);
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    const as = hub.subgraphs.aftersales;
    await as.ds.query("DELETE FROM order_refs WHERE orderKey = ?", [Number(order.id.split("/").pop())]);
    await as.ds.getRepository(ProcessedEvent).delete({ eventId: In(rows.map((r) => r.id)) });
    for (const e of statuses) await as.consumer.deliver(e);
    for (let i = 0; i < 2; i++) {
      clock.advance(3_600_000);
      await as.jobs.deliveries.runOnce();
    }
  });

  test("an admin sees the parked event, oldest first, with its error and what waits behind it; the viewing is recorded", async () => {
    const before = await hub.subgraphs.aftersales.ds.getRepository(DeliveryAuditRow).countBy({ action: "list" });
    const page = await hub.ok(LIST, { first: 50 });
    const mine = page.parkedEvents.edges.map((e: any) => e.node).filter((n: any) => n.aggregateId === order.id);
    expect(mine).toEqual([
      {
        id: expect.stringMatching(/^gid:\/\/orderhub\/ParkedEvent\/aftersales:\d+$/),
        service: "aftersales",
        consumer: "aftersales.order-status",
        eventId: statuses[0].id,
        type: "order.status_changed",
        aggregateId: order.id,
        sequence: statuses[0].sequence,
        attempts: 3,
        lastError: expect.stringMatching(/before its order\.created/),
        firstFailedAt: expect.any(String),
        parkedAt: expect.any(String),
        waitingBehind: statuses.length - 1,
      },
    ]);
    parkedId = mine[0].id;
    const audit = await hub.subgraphs.aftersales.ds.getRepository(DeliveryAuditRow).find({ where: { action: "list" }, order: { id: "ASC" } });
    expect(audit.length).toBe(before + 1);
    expect(audit[audit.length - 1]).toMatchObject({ actor: "test:admin", detail: { keys: expect.arrayContaining([Number(parkedId.split(":").pop())]) } });
  });

  test("pages by cursor without skipping or repeating", async () => {
    const all = (await hub.ok(LIST, { first: 100 })).parkedEvents.edges.map((e: any) => e.node.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await hub.ok(LIST, { first: 1, after })).parkedEvents;
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
    expect(all.length).toBeGreaterThan(0);
  });

  test("only an admin: other roles are FORBIDDEN, no token UNAUTHENTICATED, for the list and the retry", async () => {
    for (const role of ["cs_supervisor", "bi_analyst", "customer", "channel"] as const) {
      const token = role === "customer" ? await hub.token([role], "gid://orderhub/Customer/1") : await hub.token([role]);
      const listed = await hub.query(LIST, {}, token);
      expect({ role, code: listed.errors?.[0].extensions?.code, m: listed.errors?.[0].message }).toMatchObject({ role, code: "FORBIDDEN" });
      expect((await hub.query(RETRY, { ids: [parkedId] }, token)).errors?.[0].extensions?.code).toBe("FORBIDDEN");
    }
    expect((await hub.query(LIST, {})).errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    expect((await hub.query(RETRY, { ids: [parkedId] })).errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
  });

  test("a retry naming an unknown id, or more than 100, is refused and changes nothing", async () => {
    const unknown = "gid://orderhub/ParkedEvent/orders:999999";
    const r = await hub.query(RETRY, { ids: [parkedId, unknown] }, hub.admin);
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(r.errors?.[0].message).toContain(unknown);
    const bad = await hub.query(RETRY, { ids: ["gid://orderhub/Order/1"] }, hub.admin);
    expect(bad.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    const many = await hub.query(RETRY, { ids: Array.from({ length: 101 }, () => parkedId) }, hub.admin);
    expect(many.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    const held = await hub.subgraphs.aftersales.ds.getRepository(DeliveryHoldRow).findOneByOrFail({ id: Number(parkedId.split(":").pop()) });
    expect(held).toMatchObject({ state: HoldState.PARKED, attempts: 3 });
    expect(await hub.subgraphs.aftersales.ds.getRepository(DeliveryAuditRow).countBy({ action: "retry" })).toBe(0);
  });

  /** A second gateway in front of the same services, with some settings changed. */
  async function withGateway(env: Record<string, string>, work: (url: string) => Promise<void>) {
    const keys = await loadOrCreateDemoKeys(hub.dataDir);
    const urls = Object.fromEntries(Object.entries(hub.subgraphs).map(([n, s]) => [`${n.toUpperCase()}_URL`, s.url]));
    let other: RunningGateway | undefined;
    try {
      other = await startGateway(gatewayConfig({ ...demoEnv(keys), ...urls, PORT: "0", LOG_LEVEL: process.env.LOG_LEVEL || "silent", ...env }));
      await work(other.url);
    } finally {
      await other?.stop();
    }
  }

  test("with one service down, the list answers the others' parked events and an error naming the missing service", async () => {
    await withGateway({ PRODUCTS_URL: `http://127.0.0.1:${await freePort()}/graphql` }, async (url) => {
      const r = await graphql(url, LIST, { first: 100 }, hub.admin);
      expect(r.errors?.map((e: any) => ({ code: e.extensions?.code, service: e.extensions?.service }))).toEqual([{ code: "SERVICE_UNAVAILABLE", service: "products" }]);
      expect(r.data?.parkedEvents.edges.map((e: any) => e.node.id)).toContain(parkedId);
      // The cursor of this page still pages on.
      const next = await graphql(url, LIST, { first: 1, after: r.data?.parkedEvents.pageInfo.endCursor ?? null }, hub.admin);
      expect(next.data?.parkedEvents.edges.map((e: any) => e.node.id)).not.toContain(parkedId);
    });
  });

  test("a service that refuses the gateway's signature is SERVICE_UNAVAILABLE (not UNAUTHENTICATED: the admin is signed in)", async () => {
    await withGateway({ INTERNAL_SIGNING_SECRET: "x".repeat(48) }, async (url) => {
      const r = await graphql(url, LIST, { first: 10 }, hub.admin);
      expect(r.errors?.[0].extensions).toMatchObject({ code: "SERVICE_UNAVAILABLE", service: expect.any(String) });
    });
  });

  test("the route keeps the subgraph URL's path prefix", () => {
    expect(parkedEventsUrl("https://proxy.example/aftersales/graphql").href).toBe("https://proxy.example/aftersales/internal/parked-events");
    expect(parkedEventsUrl("http://127.0.0.1:4004/graphql").href).toBe("http://127.0.0.1:4004/internal/parked-events");
  });

  test("a retry of a key no longer parked (retried by another admin since the check) answers GONE for it and runs the others", async () => {
    const keys = await loadOrCreateDemoKeys(hub.dataDir);
    const call = parkedEventsClient(
      Object.fromEntries(Object.entries(hub.subgraphs).map(([n, s]) => [n, s.url])) as never,
      keys.internalSecret,
      { callMs: 10_000, retryMs: 60_000 },
      { sub: "test:admin", roles: ["admin"] } as never,
    );
    const key = Number(parkedId.split(":").pop());
    const answer = await call("aftersales", { action: "retry", keys: [999_999, key] });
    expect(answer.status).toBe(200);
    expect((answer.body.results as any[]).map((r) => ({ key: r.key, outcome: r.outcome }))).toEqual([
      { key: 999_999, outcome: "GONE" },
      { key, outcome: "PARKED" },
    ]);
  });

  test("an empty list page is not recorded; audit rows older than DELIVERY_AUDIT_RETENTION_DAYS are deleted by the retry job", async () => {
    const repo = hub.subgraphs.products.ds.getRepository(DeliveryAuditRow);
    const last = (await hub.ok(LIST, { first: 100 })).parkedEvents.pageInfo.endCursor;
    const before = await repo.countBy({ action: "list" });
    await hub.ok(LIST, { first: 10, after: last }); // past the end: empty everywhere
    expect(await repo.countBy({ action: "list" })).toBe(before);

    const as = hub.subgraphs.aftersales;
    const audit = as.ds.getRepository(DeliveryAuditRow);
    await audit.insert({ action: "list", actor: "test:old", at: new Date(clock.now().getTime() - 91 * 86_400_000), detail: {} } as never);
    await audit.insert({ action: "list", actor: "test:recent", at: new Date(clock.now().getTime() - 89 * 86_400_000), detail: {} } as never);
    await as.jobs.deliveries.runOnce();
    expect(await audit.countBy({ actor: "test:old" })).toBe(0);
    expect(await audit.countBy({ actor: "test:recent" })).toBe(1);
    expect(() => deliveryConfig({ DELIVERY_AUDIT_RETENTION_DAYS: "0" })).toThrow(/DELIVERY_AUDIT_RETENTION_DAYS/);
    const keys = await loadOrCreateDemoKeys(hub.dataDir);
    expect(() => gatewayConfig({ ...demoEnv(keys), PARKED_RETRY_TIMEOUT_MS: "soon" })).toThrow(/PARKED_RETRY_TIMEOUT_MS/);
  });

  test("a retry that fails again keeps it parked with the new error; once its cause is gone, a retry applies it and then its follower, and is recorded", async () => {
    const again = await hub.ok(RETRY, { ids: [parkedId] });
    expect(again.retryParkedEvents).toEqual([{ id: parkedId, outcome: "PARKED", error: expect.stringMatching(/before its order\.created/), followersApplied: 0 }]);

    await hub.subgraphs.aftersales.consumer.deliver(created); // the order.created arrives at last
    const done = await hub.ok(RETRY, { ids: [parkedId] });
    expect(done.retryParkedEvents).toEqual([{ id: parkedId, outcome: "APPLIED", error: null, followersApplied: statuses.length - 1 }]);
    expect(await hub.subgraphs.aftersales.ds.getRepository(DeliveryHoldRow).countBy({ aggregateId: order.id })).toBe(0);
    const listed = (await hub.ok(LIST, { first: 100 })).parkedEvents.edges.map((e: any) => e.node.id);
    expect(listed).not.toContain(parkedId);

    // Both statuses were applied in order: the cancelled order refuses after-sales.
    const REQUEST = "mutation($i: RequestAfterSalesInput!) { requestAfterSales(input: $i) { id } }";
    const lines = (await hub.ok("query($id: ID!) { order(id: $id) { lines { id } } }", { id: order.id })).order.lines;
    const r = await hub.query(REQUEST, { i: { orderId: order.id, type: "REFUND_ONLY", reason: "late", lines: [{ orderLineId: lines[0].id, quantity: 1 }] } }, hub.admin);
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: "CONFLICT", orderStatus: "CANCELLED" } });

    const audit = await hub.subgraphs.aftersales.ds.getRepository(DeliveryAuditRow).find({ where: { action: "retry" }, order: { id: "ASC" } });
    // The earlier retry records of this file, then these two.
    expect(audit.slice(-2).map((a) => a.actor)).toEqual(["test:admin", "test:admin"]);
    expect(audit[audit.length - 1].detail).toMatchObject({ keys: [Number(parkedId.split(":").pop())], results: [{ outcome: "APPLIED", followersApplied: statuses.length - 1 }] });
  });
});

describe("one queue per service and aggregate: a held event holds back the aggregate's later events of every subscription of the service", () => {
  const TRANSITION = "mutation($id: ID!, $to: OrderStatus!) { transitionOrder(id: $id, to: $to) { status } }";

  /** An order's events as orders recorded them, after the hub delivered them everywhere. */
  async function orderEvents(channelOrderId: string, to: string[]) {
    const order = await ingest(hub, orderInput({ channelOrderId }));
    for (const status of to) await hub.ok(TRANSITION, { id: order.id, to: status });
    await hub.settle();
    const rows = await hub.subgraphs.orders.ds.getRepository(OutboxEvent).find({ where: { aggregateId: order.id }, order: { sequence: "ASC" } });
    return { order, events: rows.map(toHubEvent) };
  }

  /** Runs `work` while `table` is away, so whatever writes it fails as in a database hiccup. */
  async function withoutTable(sub: { ds: { query: (q: string) => Promise<unknown> } }, table: string, work: () => Promise<void>) {
    await sub.ds.query(`ALTER TABLE ${table} RENAME TO ${table}_away`);
    try {
      await work();
    } finally {
      await sub.ds.query(`ALTER TABLE ${table}_away RENAME TO ${table}`);
    }
  }

  test("after-sales: order.created held in order-refs, its status changes wait in order-status and follow it after the retry; nothing parked", async () => {
    const { order, events } = await orderEvents(`W-q-as-${process.pid}`, ["FULFILLING", "CANCELLED"]);
    const as = hub.subgraphs.aftersales;
    const orderKey = Number(order.id.split("/").pop());
    const [created, ...statuses] = events.filter((e) => e.type === "order.created" || e.type === "order.status_changed");
    expect(created.type).toBe("order.created");
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    // After-sales as before these events reached it.
    await as.ds.query("DELETE FROM order_refs WHERE orderKey = ?", [orderKey]);
    await as.ds.getRepository(ProcessedEvent).delete({ eventId: In(events.map((e) => e.id)) });

    await withoutTable(as, "order_refs", () => as.consumer.deliver(created));
    for (const e of statuses) await as.consumer.deliver(e);

    const held = await as.ds.getRepository(DeliveryHoldRow).find({ where: { aggregateId: order.id }, order: { sequence: "ASC" } });
    expect(held.map((h) => ({ consumer: h.consumer, state: h.state, attempts: h.attempts }))).toEqual([
      { consumer: "aftersales.order-refs", state: HoldState.FAILING, attempts: 1 },
      ...statuses.map(() => ({ consumer: "aftersales.order-status", state: HoldState.WAITING, attempts: 0 })),
    ]);
    clock.advance(3_600_000);
    await as.jobs.deliveries.runOnce();

    expect(await as.ds.getRepository(DeliveryHoldRow).countBy({ aggregateId: order.id })).toBe(0);
    const ref = (await as.ds.query("SELECT status, statusSequence FROM order_refs WHERE orderKey = ?", [orderKey]))[0];
    expect({ status: ref.status, sequence: Number(ref.statusSequence) }).toEqual({ status: "CANCELLED", sequence: statuses[statuses.length - 1].sequence });
    expect(await as.ds.getRepository(ProcessedEvent).countBy({ eventId: In([created, ...statuses].map((e) => e.id)) })).toBe(1 + statuses.length);
  });

  test("an event earlier than every held one of its aggregate is applied at once; later ones of any subscription follow the head in sequence order", async () => {
    const applied: string[] = [];
    let failing = true;
    const sub = (name: string, type: string): Subscription => ({
      consumer: `test.${name}.${++run}`,
      types: [type],
      async apply(_em, e) {
        if (type === "test.b" && failing) throw new Error("not yet");
        applied.push(`${name}#${e.sequence}`);
      },
    });
    const [a, b] = [sub("a", "test.a"), sub("b", "test.b")];
    const consumer = new ServiceConsumer(ds(), "products", [a, b], undefined, { clock, config: deliveryConfig({ EVENT_MAX_DELIVERIES: "3" }) });
    const agg = `gid://orderhub/Order/8${run}`;
    await consumer.deliver(event(agg, 2, "test.b")); // held in b
    await consumer.deliver(event(agg, 1, "test.a")); // before it: nothing to wait for
    await consumer.deliver(event(agg, 3, "test.a")); // after it: waits in a's subscription too
    expect(applied).toEqual(["a#1"]);
    failing = false;
    clock.advance(1000);
    expect(await consumer.queues.retryDue()).toBe(1);
    expect(applied).toEqual(["a#1", "b#2", "a#3"]);
    expect(await ds().getRepository(DeliveryHoldRow).countBy({ aggregateId: agg })).toBe(0);
  });

  test("when the head is applied but its follower is not run then (claimed elsewhere, a retrier that died), the follower is due and the job runs it", async () => {
    const t = flaky(`test.promote.${++run}`);
    const consumer = new ServiceConsumer(ds(), "products", [t.sub], undefined, { clock, config: deliveryConfig({ EVENT_MAX_DELIVERIES: "3" }) });
    const agg = `gid://orderhub/Order/9${run}`;
    const [e1, e2] = [event(agg, 1), event(agg, 2)];
    t.failing.add(agg);
    await consumer.deliver(e1);
    await consumer.deliver(e2);
    t.failing.delete(agg);
    // Another retrier's claim on the follower, as one that died would leave it.
    await ds().getRepository(DeliveryHoldRow).update({ eventId: e2.id }, { claimedUntil: new Date(clock.now().getTime() + 60_000) });
    clock.advance(1000);
    expect(await consumer.queues.retryDue()).toBe(1);
    expect(t.applied).toEqual([`${agg}#1`]);
    expect((await holdsOf(t.sub.consumer)).map((h) => h.state)).toEqual([HoldState.FAILING]);
    clock.advance(60_001);
    expect(await consumer.queues.retryDue()).toBe(1);
    expect(t.applied).toEqual([`${agg}#1`, `${agg}#2`]);
    expect(await holdsOf(t.sub.consumer)).toEqual([]);
  });

  test("two admins retrying the same parked event at once: it is applied once, and neither answer loses results behind an error", async () => {
    const RETRY = "mutation($ids: [ID!]!) { retryParkedEvents(ids: $ids) { id outcome error followersApplied } }";
    const { order, events } = await orderEvents(`W-q-two-${process.pid}`, ["FULFILLING"]);
    const as = hub.subgraphs.aftersales;
    const orderKey = Number(order.id.split("/").pop());
    const created = events.find((e) => e.type === "order.created")!;
    const statuses = events.filter((e) => e.type === "order.status_changed");
    await as.ds.query("DELETE FROM order_refs WHERE orderKey = ?", [orderKey]);
    await as.ds.getRepository(ProcessedEvent).delete({ eventId: In(events.map((e) => e.id)) });
    for (const e of statuses) await as.consumer.deliver(e);
    for (let i = 0; i < 2; i++) {
      clock.advance(3_600_000);
      await as.jobs.deliveries.runOnce();
    }
    const parked = await as.ds.getRepository(DeliveryHoldRow).findOneByOrFail({ aggregateId: order.id, state: HoldState.PARKED });
    await as.consumer.deliver(created); // earlier than the held ones: applied at once
    const id = `gid://orderhub/ParkedEvent/aftersales:${parked.id}`;

    const answers = await Promise.all([hub.query(RETRY, { ids: [id] }, hub.admin), hub.query(RETRY, { ids: [id] }, hub.admin)]);
    const outcomes = answers.map((r) => r.data?.retryParkedEvents?.[0]?.outcome ?? r.errors?.[0].extensions?.code);
    // One applies it; the other finds it gone or under way (or, checked after, not parked).
    expect(outcomes.filter((o) => o === "APPLIED")).toHaveLength(1);
    expect(outcomes.filter((o) => o !== "APPLIED").every((o) => ["GONE", "BUSY", "BAD_USER_INPUT"].includes(o))).toBe(true);
    expect(await as.ds.getRepository(DeliveryHoldRow).countBy({ aggregateId: order.id })).toBe(0);
    const ref = (await as.ds.query("SELECT status FROM order_refs WHERE orderKey = ?", [orderKey]))[0];
    expect(ref.status).toBe("FULFILLING");
  });

  test("customers: order.created held in order-buyers, the PAID/CANCELLED status waits in order-spend and is applied after it: the spend is not lost", async () => {
    const { order, events } = await orderEvents(`W-q-cu-${process.pid}`, ["CANCELLED"]);
    const cu = hub.subgraphs.customers;
    const orderKey = Number(order.id.split("/").pop());
    const spendOf = async () => (await cu.ds.query("SELECT paid, cancelled, totalMinor FROM customer_spend WHERE orderKey = ?", [orderKey]))[0];
    const normal = await spendOf(); // as the hub's own delivery left it
    expect(Boolean(Number(normal.cancelled))).toBe(true);
    const created = events.find((e) => e.type === "order.created")!;
    const statuses = events.filter((e) => e.type === "order.status_changed");
    await cu.ds.query("DELETE FROM customer_spend WHERE orderKey = ?", [orderKey]);
    await cu.ds.getRepository(ProcessedEvent).delete({ eventId: In(events.map((e) => e.id)) });

    await withoutTable(cu, "customer_spend", () => cu.consumer.deliver(created));
    for (const e of statuses) await cu.consumer.deliver(e);
    expect(await spendOf()).toBeUndefined();
    clock.advance(3_600_000);
    await cu.jobs.deliveries.runOnce();

    expect(await cu.ds.getRepository(DeliveryHoldRow).countBy({ aggregateId: order.id })).toBe(0);
    expect(await spendOf()).toEqual(normal);
  });
});

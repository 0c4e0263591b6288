import { IsNull } from "typeorm";
import { v7 as uuidv7 } from "uuid";
import { OutboxEvent } from "../subgraphs/kernel/events";
import { NatsBus, natsConfig } from "../subgraphs/kernel/jetstream-bus";
import { createLogger } from "../subgraphs/kernel/logging";
import { metricsOperations, metricsToken, ServiceMetrics, utcInstant } from "../subgraphs/kernel/metrics";
import { consumerGauges } from "../subgraphs/kernel/service-gauges";
import { deleteStream, eventually, NATS_URL } from "./support/services";
import { createProduct, orderInput, sendWebhook, unique } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";
import { parseMetrics, sample, scrape } from "./support/metrics";

/**
 * GET /metrics of the gateway and of the subgraphs, as a Prometheus scraper reads it,
 * after real traffic through the gateway.
 */
let hub: TestHub;
beforeAll(async () => {
  // One attempt: an event after-sales cannot apply is parked at once. IngestOne is sent
  // with a channel token, whose unlisted names would be "other": the operator lists it.
  hub = await startTestHub({ EVENT_MAX_DELIVERIES: "1", METRICS_OPERATIONS: "IngestOne, DailyReport" });
  await createProduct(hub, "MUG-1", [{ channel: "WEB", channelSkuId: "SKU-A" }]);
}, 60_000);
afterAll(() => hub?.stop());

const gatewayBase = () => hub.url;
const subgraphBase = (name: keyof TestHub["subgraphs"]) => hub.subgraphs[name].url;

async function named(operation: string, query: string, variables: Record<string, unknown> = {}, token = hub.admin) {
  const res = await fetch(hub.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables, operationName: operation }),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
}

const INGEST = "mutation IngestOne($i: IngestOrderInput!) { ingestOrder(input: $i) { id } }";

test("requests, subgraph fetches and an ingested order show in the gateway's and the orders subgraph's metrics", async () => {
  const before = await scrape(gatewayBase());
  const count = (s: typeof before.samples, labels: Record<string, string>) => sample(s, "orderhub_graphql_requests_total", labels) ?? 0;

  for (let i = 0; i < 3; i++) expect((await named("ListOrders", "query ListOrders { orders(first: 2) { edges { node { id } } } }")).status).toBe(200);
  // Refused: a customer may not list the customers.
  const customer = await hub.token(["customer"], "gid://orderhub/Customer/999999");
  const refused = await named("ListOrders", "query ListOrders { customers(first: 2) { edges { node { id } } } }", {}, customer);
  expect(refused.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  const ingested = await named("IngestOne", INGEST, { i: orderInput() }, hub.channel);
  expect(ingested.body.errors).toBeUndefined();
  await hub.settle();

  const gw = await scrape(gatewayBase());
  expect(gw.status).toBe(200);
  expect(gw.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(count(gw.samples, { service: "gateway", operation: "ListOrders", outcome: "ok" }) - count(before.samples, { operation: "ListOrders", outcome: "ok" })).toBe(3);
  expect(count(gw.samples, { operation: "ListOrders", outcome: "FORBIDDEN" }) - count(before.samples, { operation: "ListOrders", outcome: "FORBIDDEN" })).toBe(1);
  expect(count(gw.samples, { operation: "IngestOne", outcome: "ok" })).toBe(1);
  expect(sample(gw.samples, "orderhub_graphql_request_duration_seconds_count", { operation: "ListOrders", outcome: "ok" })).toBeGreaterThanOrEqual(3);
  // Every ListOrders and the ingest went to orders; the histogram counts each fetch.
  expect(sample(gw.samples, "orderhub_subgraph_fetch_duration_seconds_count", { subgraph: "orders", outcome: "ok" })).toBeGreaterThanOrEqual(4);
  // Process metrics once, on the gateway.
  expect(sample(gw.samples, "orderhub_process_resident_memory_bytes")).toBeGreaterThan(0);

  const orders = await scrape(subgraphBase("orders"));
  expect(orders.status).toBe(200);
  // The gateway names its subgraph fetches after the client's operation.
  const fetched = orders.samples.filter((s) => s.name === "orderhub_graphql_requests_total" && s.labels.operation.startsWith("IngestOne"));
  expect(fetched).toEqual([expect.objectContaining({ labels: expect.objectContaining({ service: "orders", outcome: "ok" }), value: 1 })]);
  expect(sample(orders.samples, "orderhub_outbox_backlog_events", { service: "orders" })).toBe(0);
  expect(sample(orders.samples, "orderhub_outbox_oldest_unpublished_age_seconds")).toBe(0);
  expect(sample(orders.samples, "orderhub_consumer_lag_events")).toBe(0);
  expect(sample(orders.samples, "orderhub_sql_statements_prepared")).toBeGreaterThanOrEqual(0); // exposed, a count
  // Not the gateway's process metrics again: the subgraphs share its process.
  expect(sample(orders.samples, "orderhub_process_resident_memory_bytes")).toBeUndefined();

  // The customers service consumed the order's events.
  const customers = await scrape(subgraphBase("customers"));
  expect(sample(customers.samples, "orderhub_events_consumed_total", { type: "order.created", outcome: "handled" })).toBeGreaterThanOrEqual(1);
});

test("webhook deliveries are counted by channel and result", async () => {
  const before = await scrape(gatewayBase());
  const delivered = (s: typeof before.samples, result: string, channel = "web") => sample(s, "orderhub_webhook_deliveries_total", { channel, result }) ?? 0;
  const event = {
    eventId: unique("evt"),
    type: "order.created",
    occurredAt: "2026-11-20T10:00:00+08:00",
    order: { channelOrderId: unique("WEB"), currency: "CNY", buyer: { channelCustomerId: "web-m-1", name: "王五" }, lines: [{ channelSkuId: "SKU-A", quantity: 1, unitPrice: "5.00" }], shippingFee: "0.00" },
  };
  expect((await sendWebhook(hub, "web", event)).status).toBe(200);
  expect((await sendWebhook(hub, "web", event)).body.results[0].outcome).toBe("duplicate");
  expect((await sendWebhook(hub, "web", event, { secret: `whsec_${Buffer.from("x".repeat(32)).toString("base64")}` })).status).toBe(401);
  expect((await sendWebhook(hub, "web", null, { body: "not json" })).status).toBe(400);
  expect((await sendWebhook(hub, "nowhere", event)).status).toBe(404);

  const after = await scrape(gatewayBase());
  expect(delivered(after.samples, "accepted") - delivered(before.samples, "accepted")).toBe(1);
  expect(delivered(after.samples, "duplicate") - delivered(before.samples, "duplicate")).toBe(1);
  expect(delivered(after.samples, "refused_signature") - delivered(before.samples, "refused_signature")).toBe(1);
  expect(delivered(after.samples, "bad_input") - delivered(before.samples, "bad_input")).toBe(1);
  // An unknown channel is not a label of its own.
  expect(delivered(after.samples, "bad_input", "other") - delivered(before.samples, "bad_input", "other")).toBe(1);
  expect(after.text).not.toContain("nowhere");
});

test("a customer token sending many made-up operation names takes no label slot: they are 'other', and staff operations keep their labels", async () => {
  const customer = await hub.token(["customer"], "gid://orderhub/Customer/999998");
  const before = await scrape(gatewayBase());
  const junk = Array.from({ length: 150 }, (_, i) => `Junk_${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`);
  for (let i = 0; i < junk.length; i += 50) {
    const answers = await Promise.all(junk.slice(i, i + 50).map((n) => named(n, `query ${n} { __typename }`, {}, customer)));
    expect(answers.every((a) => a.status === 200 && !a.body.errors)).toBe(true);
  }
  // A staff operation failing (FORBIDDEN) takes no slot either.
  const failed = await named("Junk_failed", "query Junk_failed { customers(first: 1) { edges { node { id } } } }", {}, customer);
  expect(failed.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  expect((await named("StaffAfterJunk", "query StaffAfterJunk { __typename }")).status).toBe(200);

  const after = await scrape(gatewayBase());
  const ops = new Set(after.samples.filter((s) => s.name === "orderhub_graphql_requests_total").map((s) => s.labels.operation));
  expect([...ops].filter((o) => o.startsWith("Junk_"))).toEqual([]);
  expect(ops.has("StaffAfterJunk")).toBe(true);
  const other = (s: typeof after.samples) => sample(s, "orderhub_graphql_requests_total", { service: "gateway", operation: "other", outcome: "ok" }) ?? 0;
  expect(other(after.samples) - other(before.samples)).toBe(150);
});

test("operation names with personal content, and 2,000 distinct names, stay a bounded set of labels", async () => {
  const phone = "13800138000";
  expect((await named(`Orders_of_${phone}`, `query Orders_of_${phone} { __typename }`)).status).toBe(200);
  // Not a GraphQL name at all: refused, and still not a label.
  expect((await named("张三的订单", "query A { __typename }")).status).toBe(400);

  // Letters only (a digit run would make them "other" anyway): Probe_a, Probe_b, … Probe_bxx.
  const letters = (n: number): string => (n < 26 ? "" : letters(Math.floor(n / 26) - 1)) + String.fromCharCode(97 + (n % 26));
  // Twenty times the 100 slots: each a new document for the gateway to validate and plan.
  const names = Array.from({ length: 2_000 }, (_, i) => `Probe_${letters(i)}`);
  expect(new Set(names).size).toBe(2_000);
  for (let i = 0; i < names.length; i += 50) {
    const batch = names.slice(i, i + 50);
    const answers = await Promise.all(batch.map((n) => named(n, `query ${n} { __typename }`)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
  }

  const gw = await scrape(gatewayBase());
  const labels = new Set(gw.samples.filter((s) => s.name === "orderhub_graphql_requests_total").map((s) => s.labels.operation));
  // 100 slots, the 2 listed names, "other" and "anonymous".
  expect(labels.size).toBeLessThanOrEqual(100 + 2 + 2);
  expect(sample(gw.samples, "orderhub_graphql_requests_total", { operation: "other", outcome: "ok" })).toBeGreaterThanOrEqual(2_000 - 100);
  expect(gw.text).not.toContain(phone);
  expect(gw.text).not.toContain("张三");

  // The slots are full; a name listed in METRICS_OPERATIONS is labelled anyway, whoever sends it.
  const ingestedBefore = sample(gw.samples, "orderhub_graphql_requests_total", { operation: "IngestOne", outcome: "ok" }) ?? 0;
  expect((await named("IngestOne", INGEST, { i: orderInput() }, hub.channel)).body.errors).toBeUndefined();
  expect((await named("DailyReport", "query DailyReport { __typename }")).status).toBe(200);
  const full = await scrape(gatewayBase());
  expect(sample(full.samples, "orderhub_graphql_requests_total", { operation: "IngestOne", outcome: "ok" })).toBe(ingestedBefore + 1);
  expect(sample(full.samples, "orderhub_graphql_requests_total", { operation: "DailyReport", outcome: "ok" })).toBe(1);
  // The orders subgraph labels the gateway's fetch of a listed operation by the client's name.
  expect(sample((await scrape(subgraphBase("orders"))).samples, "orderhub_graphql_requests_total", { operation: "IngestOne", outcome: "ok" })).toBeGreaterThanOrEqual(2);
  // 2,000 operations, each a new document for the gateway to validate and plan: on a busy CI machine that takes a while.
}, 180_000);

test("METRICS_OPERATIONS is validated, naming the variable", async () => {
  expect(metricsOperations({ METRICS_OPERATIONS: " ListOrders ,IngestOne," })).toEqual(["ListOrders", "IngestOne"]);
  expect(() => metricsOperations({ METRICS_OPERATIONS: "ListOrders, Orders of 13800138000" })).toThrow(/METRICS_OPERATIONS/);
  expect(() => metricsOperations({ METRICS_OPERATIONS: Array.from({ length: 201 }, (_, i) => `Op_${String.fromCharCode(97 + (i % 26))}${i < 26 ? "" : String.fromCharCode(97 + Math.floor(i / 26))}`).join(",") })).toThrow(/METRICS_OPERATIONS/);
  await expect(startTestHub({ METRICS_OPERATIONS: "Not-a-name" })).rejects.toThrow(/METRICS_OPERATIONS/);
});

test("the delivery gauges count parked events and those waiting behind them", async () => {
  const aftersales = hub.subgraphs.aftersales;
  const before = (await scrape(subgraphBase("aftersales"))).samples;
  expect(sample(before, "orderhub_parked_events")).toBe(0);
  expect(sample(before, "orderhub_held_deliveries")).toBe(0);
  // Statuses of an order after-sales has never heard of: the first fails and is parked, the second waits behind it.
  const status = (sequence: number) => ({
    id: uuidv7(), aggregateId: "gid://orderhub/Order/987654", sequence, type: "order.status_changed",
    occurredAt: new Date().toISOString(), recordedAt: new Date().toISOString(), source: "test", actor: null, payload: { from: "PAID", to: "CANCELLED" },
  });
  await aftersales.consumer.deliver(status(2));
  await aftersales.consumer.deliver(status(3));
  const after = (await scrape(subgraphBase("aftersales"))).samples;
  expect(sample(after, "orderhub_parked_events")).toBe(1);
  expect(sample(after, "orderhub_held_deliveries")).toBe(1);
});

test("the outbox gauges show the unpublished events and the age of the oldest, read when scraped", async () => {
  // Stop the orders relay: what orders writes now stays in its outbox.
  await hub.subgraphs.orders.relay.stop();
  const ingested = await named("IngestOne", INGEST, { i: orderInput() }, hub.channel);
  expect(ingested.body.errors).toBeUndefined();
  const repo = hub.subgraphs.orders.ds.getRepository(OutboxEvent);
  const unpublished = await repo.find({ where: { publishedAt: IsNull() }, order: { recordedAt: "ASC" } });
  expect(unpublished.length).toBeGreaterThanOrEqual(1);

  const from = Date.now();
  const orders = await scrape(subgraphBase("orders"));
  const to = Date.now();
  expect(sample(orders.samples, "orderhub_outbox_backlog_events")).toBe(unpublished.length);
  const oldest = utcInstant(unpublished[0].recordedAt)!.getTime();
  const age = sample(orders.samples, "orderhub_outbox_oldest_unpublished_age_seconds")!;
  expect(age).toBeGreaterThanOrEqual((from - oldest) / 1000 - 0.001);
  expect(age).toBeLessThanOrEqual((to - oldest) / 1000 + 0.001);
  // Another service's outbox is its own.
  expect(sample((await scrape(subgraphBase("products"))).samples, "orderhub_outbox_backlog_events")).toBe(0);
});

test("a delivery while the orders service is down is counted as unavailable (last: it stops orders)", async () => {
  const before = await scrape(gatewayBase());
  await hub.subgraphs.orders.stop();
  const event = { eventId: unique("evt"), type: "order.created", occurredAt: "2026-11-20T10:00:00+08:00", order: { channelOrderId: unique("WEB") } };
  expect((await sendWebhook(hub, "web", event)).status).toBe(503);
  const after = await scrape(gatewayBase());
  const unavailable = (s: typeof before.samples) => sample(s, "orderhub_webhook_deliveries_total", { channel: "web", result: "unavailable" }) ?? 0;
  expect(unavailable(after.samples) - unavailable(before.samples)).toBe(1);
  // A query that needs orders now: its fetch fails, and is timed as an error.
  const failedFetches = (s: typeof before.samples) => sample(s, "orderhub_subgraph_fetch_duration_seconds_count", { subgraph: "orders", outcome: "error" }) ?? 0;
  const r = await named("ListOrders", "query ListOrders { orders(first: 2) { edges { node { id } } } }");
  expect(r.body.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
  const last = await scrape(gatewayBase());
  expect(failedFetches(last.samples) - failedFetches(after.samples)).toBe(1);
  expect(sample(last.samples, "orderhub_graphql_requests_total", { operation: "ListOrders", outcome: "SERVICE_UNAVAILABLE" })).toBe(1);

  // The stopped orders service's database is closed: its database gauges read nothing, so
  // they have no sample at all (not a reassuring 0), and each failed reading is counted.
  const readErrors = (s: ReturnType<typeof parseMetrics>, metric: string) => sample(s, "orderhub_metric_read_errors_total", { metric }) ?? 0;
  const first = parseMetrics(await hub.subgraphs.orders.metrics.text());
  const second = parseMetrics(await hub.subgraphs.orders.metrics.text());
  for (const gauge of ["orderhub_outbox_backlog_events", "orderhub_outbox_oldest_unpublished_age_seconds", "orderhub_parked_events", "orderhub_held_deliveries"]) {
    expect(second.filter((s) => s.name === gauge)).toEqual([]);
    expect(readErrors(first, gauge)).toBeGreaterThanOrEqual(1);
    expect(readErrors(second, gauge) - readErrors(first, gauge)).toBe(1);
  }
  // What needs no database is still served.
  expect(second.some((s) => s.name === "orderhub_graphql_requests_total")).toBe(true);
});

test("a service without subscriptions has no consumer lag gauge; one with subscriptions has it", async () => {
  const products = await scrape(subgraphBase("products"));
  expect(products.samples.filter((s) => s.name === "orderhub_consumer_lag_events")).toEqual([]);
  expect(products.text).not.toContain("orderhub_consumer_lag_events");
  expect(sample((await scrape(subgraphBase("customers"))).samples, "orderhub_consumer_lag_events")).toBe(0);
});

describe("with METRICS_TOKEN", () => {
  let guarded: TestHub;
  const token = "metrics-token-for-the-test";
  beforeAll(async () => {
    guarded = await startTestHub({ METRICS_TOKEN: token });
  }, 60_000);
  afterAll(() => guarded?.stop());

  test("the gateway and the subgraphs answer /metrics only with the token", async () => {
    for (const base of [guarded.url, guarded.subgraphs.orders.url]) {
      expect((await scrape(base)).status).toBe(401);
      expect((await scrape(base, "wrong-token-of-the-same-size")).status).toBe(401);
      const ok = await scrape(base, token);
      expect(ok.status).toBe(200);
      expect(ok.text).toContain("orderhub_graphql_requests_total");
    }
  });

  test("in production /metrics needs METRICS_TOKEN unless METRICS_INTERNAL_ONLY=true says it is not reachable from outside", () => {
    expect(() => metricsToken({ NODE_ENV: "production" })).toThrow(/METRICS_TOKEN is required with NODE_ENV=production.*METRICS_INTERNAL_ONLY=true/);
    expect(metricsToken({ NODE_ENV: "production", METRICS_INTERNAL_ONLY: "true" })).toBeUndefined();
    expect(metricsToken({ NODE_ENV: "production", METRICS_TOKEN: token })).toBe(token);
    expect(() => metricsToken({ NODE_ENV: "production", METRICS_INTERNAL_ONLY: "mostly" })).toThrow(/METRICS_INTERNAL_ONLY/);
    // Outside production it stays open by default, as for a developer's machine.
    expect(metricsToken({ NODE_ENV: "test" })).toBeUndefined();
  });

  test("a token too short to guard anything stops start-up, naming the variable", async () => {
    await expect(startTestHub({ METRICS_TOKEN: "short" })).rejects.toThrow(/METRICS_TOKEN/);
  });
});

describe("consumer lag on NATS JetStream", () => {
  const stream = `ohm_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  let bus: NatsBus | undefined;
  afterAll(async () => {
    await bus?.close();
    await deleteStream(stream);
  });

  const warnings: Array<Record<string, unknown>> = [];
  test("the lag gauge counts the events the service's durable consumer has not acknowledged, and falls to 0 once handled", async () => {
    bus = await NatsBus.connect(natsConfig({ NATS_URL, NATS_STREAM: stream, INTERNAL_SIGNING_SECRET: "metrics-test-signing-secret-0123456789abcdef" })!, "metrics-test");
    const metrics = new ServiceMetrics("customers", { processMetrics: false });
    const events = consumerGauges(metrics, "customers", bus, createLogger({ LOG_LEVEL: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line)) }));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    bus.consume("customers", ["order.created"], (e) => events.delivering(e, async () => {
      await held;
      handled.push(e.id);
    }));
    await bus.start();
    const now = new Date().toISOString();
    for (let i = 1; i <= 3; i++) {
      await bus.publish({ id: uuidv7(), aggregateId: "gid://orderhub/Order/1", sequence: i, type: "order.created", occurredAt: now, recordedAt: now, source: "test", actor: null, payload: {} });
    }
    const lag = async () => sample(parseMetrics(await metrics.text()), "orderhub_consumer_lag_events", { service: "customers" });
    // One in the handler, two behind it: all three wait for this service.
    await eventually(async () => (await lag()) === 3, "a lag of 3");
    release();
    await eventually(async () => handled.length === 3 && (await lag()) === 0, "the lag back at 0");
    expect(sample(parseMetrics(await metrics.text()), "orderhub_events_consumed_total", { type: "order.created", outcome: "handled" })).toBe(3);

    // The bus connection is gone: the lag cannot be read, so there is no lag sample (not 0),
    // the failure is counted, and it is logged once, not on every scrape. (A read before the
    // consumer was made, right after start, may have failed already: counted from here.)
    const failedBefore = sample(parseMetrics(await metrics.text()), "orderhub_metric_read_errors_total", { metric: "orderhub_consumer_lag_events" }) ?? 0;
    const warnedBefore = warnings.filter((w) => w.msg === "consumer lag could not be read").length;
    await bus.close();
    bus = undefined;
    const text = await metrics.text();
    await metrics.text();
    const after = parseMetrics(await metrics.text());
    expect(parseMetrics(text).filter((s) => s.name === "orderhub_consumer_lag_events")).toEqual([]);
    expect(after.filter((s) => s.name === "orderhub_consumer_lag_events")).toEqual([]);
    expect(sample(after, "orderhub_metric_read_errors_total", { metric: "orderhub_consumer_lag_events" })).toBe(failedBefore + 3);
    expect(warnings.filter((w) => w.msg === "consumer lag could not be read").length - warnedBefore).toBe(1);
  });
});

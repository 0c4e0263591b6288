import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { dropDatabases } from "../subgraphs/kernel/database";
import { loadOrCreateDemoSecrets } from "../gateway/demo-keys";
import { channelOrder } from "./support/channel-orders";
import { StoredRows } from "./support/db-counts";
import { orderInput, unique } from "./support/fixtures";
import { WebhookSender } from "./support/webhook-sender";
import {
  buildServices,
  eventually,
  freePort,
  NATS_SERVER_BIN,
  NATS_URL,
  privateNats,
  productionEnv,
  runServiceToExit,
  startService,
  startServiceHub,
  type ServiceHub,
  type ServiceProcess,
} from "./support/services";

/**
 * Every service as its own process (dist/gateway/start-service.js), events over NATS
 * JetStream, on MariaDB: what production runs.
 */
const mysqlUrl = process.env.MYSQL_URL;
const onMariaDb = mysqlUrl ? describe : describe.skip;

jest.setTimeout(180_000);

beforeAll(() => buildServices(), 120_000);

const INGEST = "mutation($i: IngestOrderInput!) { ingestOrder(input: $i) { id } }";
const ORDER_CUSTOMER = "query($id: ID!) { order(id: $id) { customer { id displayName } } }";
const STOREFRONT = `query { me { id displayName
  orders(first: 10) { edges { node { id number status customer { id } lines { quantity product { sku title } } } } } } }`;

async function ingestVia(hub: ServiceHub, input: Record<string, unknown>): Promise<string> {
  const channel = await hub.token(["channel"], `test:channel:${input.channel ?? "WEB"}`, String(input.channel ?? "WEB"));
  const d = await hub.ok<{ ingestOrder: { id: string } }>(INGEST, { i: input }, channel);
  return d.ingestOrder.id;
}

/** The order's golden customer, once customers has applied order.created (from JetStream). */
function customerOf(hub: ServiceHub, orderId: string): Promise<string> {
  return eventually(async () => (await hub.ok<{ order: { customer: { id: string } | null } }>(ORDER_CUSTOMER, { id: orderId })).order.customer?.id, `the buyer of ${orderId}`);
}

/** The `event handled` lines one process printed (NATS_LOG_DELIVERIES), by event id. */
function handledBy(p: ServiceProcess, type: string): string[] {
  return p
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{") && l.includes('"event handled"'))
    .map((l) => JSON.parse(l) as { type: string; id: string })
    .filter((e) => e.type === type)
    .map((e) => e.id);
}

async function streamMessages(stream: string, natsUrl = NATS_URL): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
}

onMariaDb("the hub as separate processes on NATS JetStream", () => {
  let hub: ServiceHub;
  let secondCustomers: ServiceProcess;

  beforeAll(async () => {
    hub = await startServiceHub({ env: { NATS_LOG_DELIVERIES: "true" } });
    // A second customers instance on the same durable consumer: the two share the work.
    secondCustomers = await hub.start("customers", { extraInstance: true });
  }, 180_000);

  afterAll(async () => {
    await hub?.stop();
  });

  test("an order ingested through the gateway reaches customers over JetStream, and the storefront query answers across all five processes", async () => {
    await hub.ok("mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id } }", { i: { sku: "SVC-CUP", title: "Travel cup" } });
    await hub.ok("mutation($i: MapChannelSkuInput!) { mapChannelSku(input: $i) { id } }", { i: { channel: "WEB", channelSkuId: "SVC-SKU-1", sku: "SVC-CUP" } });
    // orders learns of the mapping from products' event; an order placed after it has its product.
    await eventually(
      async () => Number((await hub.sql("orders", "SELECT COUNT(*) AS n FROM processed_events"))[0].n) > 0,
      "orders to apply the SKU mapping",
    );

    const orderId = await ingestVia(hub, orderInput({
      channelOrderId: unique("SVC"),
      buyer: { channelCustomerId: "svc-shopper-1", name: "Wang Fang", phone: "13900139000" },
      lines: [{ channelSkuId: "SVC-SKU-1", title: "Travel cup", quantity: 3, unitPrice: "59.00", discount: "0.00" }],
    }));
    const customerId = await customerOf(hub, orderId);

    const me = await hub.ok<{ me: { id: string; displayName: string; orders: { edges: Array<{ node: any }> } } }>(STOREFRONT, {}, await hub.token(["customer"], customerId));
    expect(me.me.id).toBe(customerId);
    expect(me.me.displayName).toBe("Wang Fang");
    expect(me.me.orders.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({ id: orderId, customer: { id: customerId }, lines: [{ quantity: 3, product: { sku: "SVC-CUP", title: "Travel cup" } }] }),
    ]);
  });

  test("two customers instances on one durable consumer handle every event exactly once in total, and both take a share", async () => {
    const orders = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        ingestVia(hub, orderInput({ channelOrderId: unique("SVC-SHARE"), buyer: { channelCustomerId: `svc-share-${i}`, name: `Buyer ${i}`, phone: `1390013${String(1000 + i)}` } })),
      ),
    );
    const customers = await Promise.all(orders.map((o) => customerOf(hub, o)));
    expect(new Set(customers).size).toBe(30);

    const createdIds = (await hub.sql<{ id: string }>("orders", "SELECT id FROM outbox_events WHERE type = 'order.created'")).map((r) => r.id);
    const first = handledBy(hub.services.customers, "order.created");
    const second = handledBy(secondCustomers, "order.created");
    // Every order.created handled by exactly one of the two instances…
    expect([...first, ...second].sort()).toEqual([...createdIds].sort());
    // …and the work was shared.
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    // The effect once per order: one spend row each, one processed mark each.
    const spend = await hub.sql<{ n: number }>("customers", "SELECT COUNT(*) AS n FROM customer_spend");
    expect(Number(spend[0].n)).toBe(createdIds.length);
    const marks = await hub.sql<{ n: number }>("customers", "SELECT COUNT(*) AS n FROM processed_events WHERE consumer = 'customers.order-buyers'");
    expect(Number(marks[0].n)).toBe(createdIds.length);
  });

  test("two hubs with different NATS_STREAM on one NATS server do not see each other's events", async () => {
    const other = await startServiceHub({ start: ["customers"], env: { NATS_LOG_DELIVERIES: "true" } });
    try {
      const orderId = await ingestVia(hub, orderInput({ channelOrderId: unique("SVC-ISO"), buyer: { channelCustomerId: "svc-iso-1", name: "Li Na", phone: "13700137000" } }));
      await customerOf(hub, orderId);
      // This hub's stream holds the event; the other hub's customers, on its own stream, saw none of them.
      expect(await streamMessages(hub.stream)).toBeGreaterThan(0);
      expect(await streamMessages(other.stream)).toBe(0);
      expect(handledBy(other.services.customers, "order.created")).toEqual([]);
      expect(Number((await other.sql("customers", "SELECT COUNT(*) AS n FROM processed_events"))[0].n)).toBe(0);
      expect(Number((await other.sql("customers", "SELECT COUNT(*) AS n FROM customers"))[0].n)).toBe(0);
    } finally {
      await other.stop();
    }
  });

  (NATS_SERVER_BIN ? test : test.skip)("NATS down: the subgraph's /readyz names it, the gateway stays ready and still answers from it, and both recover", async () => {
    const nats = await privateNats();
    // Its own databases too: on the hub's, it would compete for the relay lease and publish the hub's events into the private stream.
    const prefix = `${hub.prefix}_nd`;
    let customers: ServiceProcess | undefined;
    let gateway: ServiceProcess | undefined;
    try {
      // A customers instance on a NATS server of this test's own, and a gateway that uses it.
      const own = await hub.start("customers", { extraInstance: true, env: { NATS_URL: nats.url, DB_NAME_PREFIX: prefix } });
      customers = own;
      gateway = await hub.start("gateway", { extraInstance: true, env: { CUSTOMERS_URL: own.url } });
      const readyz = async (p: ServiceProcess) => {
        const r = await fetch(`${p.base}/readyz`);
        return { status: r.status, body: (await r.json()) as Record<string, any> };
      };
      expect(await readyz(own)).toMatchObject({ status: 200 });

      await nats.stop();
      const down = await eventually(async () => {
        const r = await readyz(own);
        return r.status === 503 ? r : undefined;
      }, "customers to notice NATS is gone");
      expect(down.body).toMatchObject({ reason: "NATS disconnected", database: "ok", code: "SERVICE_UNAVAILABLE" });
      const gw = await readyz(gateway);
      expect(gw.status).toBe(200);
      expect(gw.body.subgraphs.customers).toBe("ok (events delayed: NATS disconnected)");
      const answer = await fetch(gateway.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await hub.token(["admin"])}` },
        body: JSON.stringify({ query: "{ customers(first: 1) { edges { node { id } } } }" }),
      });
      expect(((await answer.json()) as { errors?: unknown }).errors).toBeUndefined();

      await nats.start();
      await eventually(async () => (await readyz(own)).status === 200, "customers to reconnect");
      expect((await readyz(gateway)).body.subgraphs.customers).toBe("ok");
    } finally {
      await Promise.all([customers?.stop(), gateway?.stop()]);
      await nats.destroy();
      await dropDatabases(mysqlUrl!, prefix, ["customers"]);
    }
  });

  // NODE_ENV=production: Apollo Server registers signal handlers of its own outside "test", which must not cut the drain short.
  (NATS_SERVER_BIN ? test : test.skip)("started while NATS is unreachable: orders opens its port and takes a webhook at once, and the event is published once NATS is up", async () => {
    const nats = await privateNats();
    await nats.stop();
    const prefix = `${hub.prefix}_nb`;
    const rows = new StoredRows(mysqlUrl!, prefix);
    let orders: ServiceProcess | undefined;
    let gateway: ServiceProcess | undefined;
    try {
      const own = await hub.start("orders", { extraInstance: true, waitReady: false, env: { NATS_URL: nats.url, DB_NAME_PREFIX: prefix } });
      orders = own;
      expect((await fetch(`${own.base}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${own.base}/readyz`)).json()).toMatchObject({ reason: "NATS disconnected", database: "ok" });
      gateway = await hub.start("gateway", { extraInstance: true, env: { ORDERS_URL: own.url } });
      const sender = new WebhookSender({ baseUrl: gateway.base, secrets: loadOrCreateDemoSecrets(hub.dataDir), maxAttempts: 1 });
      const order = channelOrder("21", 0, 1);
      const delivery = await sender.deliver(order.channel, order.channelOrderId, order.payload);
      expect([delivery.outcome, delivery.status]).toEqual(["accepted", 200]);
      // Kept in the outbox while there is no bus.
      expect((await rows.unpublished(["orders"])).orders).toBeGreaterThan(0);

      await nats.start();
      await eventually(async () => (await rows.unpublished(["orders"])).orders === 0, "the orders outbox to drain into NATS");
      await eventually(async () => (await fetch(`${own.base}/readyz`)).status === 200, "orders to turn ready");
      expect(await streamMessages(hub.stream, nats.url)).toBe(await rows.count("orders", "outbox_events"));
    } finally {
      await Promise.all([orders?.stop(), gateway?.stop()]);
      await rows.close();
      await nats.destroy();
      await dropDatabases(mysqlUrl!, prefix, ["orders"]);
    }
  });

  test("SIGTERM in production: /readyz turns 503 at once while the service still answers, then it stops and exits 0", async () => {
    const products = await hub.start("products", { extraInstance: true, env: { ...productionEnv(hub), SHUTDOWN_GRACE_MS: "5000" } });
    expect((await fetch(`${products.base}/readyz`)).status).toBe(200);
    products.child.kill("SIGTERM");
    await eventually(async () => (await fetch(`${products.base}/readyz`)).status === 503, "readyz to turn 503");
    const ready = (await (await fetch(`${products.base}/readyz`)).json()) as { reason: string };
    expect(ready.reason).toBe("shutting down");
    // Still serving while the load balancer takes it out.
    expect((await fetch(`${products.base}/healthz`)).status).toBe(200);
    expect(await products.exited).toEqual({ code: 0, signal: null });
    expect(products.output()).toContain("products stopped");
  });

  test("SIGTERM on a gateway in production: while draining it still answers GraphQL, asking the client to reconnect elsewhere, then exits 0", async () => {
    const gateway = await hub.start("gateway", { extraInstance: true, env: { ...productionEnv(hub), SHUTDOWN_GRACE_MS: "5000" } });
    const admin = await hub.token(["admin"]);
    const ask = () =>
      fetch(gateway.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query: "{ customers(first: 1) { edges { node { id } } } }" }),
      });
    const before = await ask();
    expect(before.status).toBe(200);
    expect(before.headers.get("connection")).not.toBe("close");
    gateway.child.kill("SIGTERM");
    await eventually(async () => (await fetch(`${gateway.base}/readyz`)).status === 503, "the gateway's readyz to turn 503");
    const during = await ask();
    expect(during.status).toBe(200);
    expect(((await during.json()) as { errors?: unknown }).errors).toBeUndefined();
    expect(during.headers.get("connection")).toBe("close");
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    expect(gateway.output()).toContain("gateway stopped");
  });
});

describe("start-up settings of a service process", () => {
  const productionEnv = {
    NODE_ENV: "production",
    METRICS_INTERNAL_ONLY: "true",
    MYSQL_URL: mysqlUrl ?? "mysql://root@127.0.0.1:3306",
    JWT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----",
    JWT_ISSUER: "https://id.example.com",
    JWT_AUDIENCE: "orderhub",
    INTERNAL_SIGNING_SECRET: "x".repeat(40),
    PSEUDONYM_KEY: "y".repeat(40),
  };

  test("in production a subgraph without NATS_URL refuses to start, naming NATS_URL", async () => {
    const run = await runServiceToExit("customers", productionEnv);
    expect(run.code).toBe(1);
    expect(run.output).toContain("Configuration error: NATS_URL is required with NODE_ENV=production");
  });

  test("in production a subgraph without MYSQL_URL refuses to start, naming MYSQL_URL (no silent SQLite)", async () => {
    const run = await runServiceToExit("orders", { ...productionEnv, MYSQL_URL: undefined, NATS_URL });
    expect(run.code).toBe(1);
    expect(run.output).toContain("Configuration error: MYSQL_URL is required with NODE_ENV=production");
  });

  test("in production the gateway needs every subgraph's URL set, naming the one missing", async () => {
    const urls = { ORDERS_URL: "http://127.0.0.1:4001/graphql", CUSTOMERS_URL: "http://127.0.0.1:4002/graphql", AFTERSALES_URL: "http://127.0.0.1:4004/graphql" };
    const run = await runServiceToExit("gateway", { ...productionEnv, ...urls });
    expect(run.code).toBe(1);
    expect(run.output).toContain("Configuration error: PRODUCTS_URL is required with NODE_ENV=production");
  });

  test.each([
    ["NATS_STREAM", { NATS_URL: NATS_URL, NATS_STREAM: "orders.events" }],
    ["NATS_URL", { NATS_URL: "http://127.0.0.1:4222" }],
    ["SHUTDOWN_GRACE_MS", { NATS_URL: NATS_URL, SHUTDOWN_GRACE_MS: "soon" }],
    ["NATS_MAX_AGE_HOURS", { NATS_URL: NATS_URL, NATS_MAX_AGE_HOURS: "-1" }],
    ["NATS_PASSWORD", { NATS_URL: NATS_URL, NATS_USER: "hub" }],
    ["HEAP_GROWTH_PERCENT", { NATS_URL: NATS_URL, HEAP_GROWTH_PERCENT: "lots" }],
  ])("a bad %s stops the service with the variable named", async (variable, env) => {
    const run = await runServiceToExit("orders", { ...productionEnv, ...env });
    expect(run.code).toBe(1);
    expect(run.output).toMatch(new RegExp(`Configuration error: .*${variable}`));
  });

  (NATS_SERVER_BIN ? test : test.skip)("a NATS server without JetStream: the service still starts, and logs an error naming the missing JetStream (-js)", async () => {
    const port = await freePort();
    const server = spawn(NATS_SERVER_BIN, ["-a", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
    const dataDir = mkdtempSync(path.join(tmpdir(), "orderhub-nojs-"));
    let products: ServiceProcess | undefined;
    try {
      await eventually(async () => {
        const nc = await connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false }).catch(() => undefined);
        return nc ? (await nc.close(), true) : false;
      }, "the NATS server without JetStream");
      // On SQLite in a data folder of its own: nothing here needs MariaDB.
      products = await startService("products", { NODE_ENV: "test", DATA_DIR: dataDir, PRODUCTS_PORT: "0", NATS_URL: `nats://127.0.0.1:${port}`, NATS_STREAM: `nojs_${process.pid}` }, { waitReady: false });
      const line = await eventually(async () => products!.output().split("\n").find((l) => l.includes("has no JetStream")), "the error about JetStream");
      expect(JSON.parse(line)).toMatchObject({ level: "error", msg: expect.stringContaining("start nats-server with -js") });
      expect(await (await fetch(`${products.base}/readyz`)).json()).toMatchObject({ reason: expect.stringMatching(/^NATS /) });
    } finally {
      await products?.kill();
      server.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("an unknown service name is refused with the list of services", async () => {
    const run = await runServiceToExit("billing" as never, {});
    expect(run.code).toBe(2);
    expect(run.output).toContain("gateway|orders|customers|products|aftersales");
  });
});

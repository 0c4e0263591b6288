import { request as httpRequest } from "node:http";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Webhook } from "standardwebhooks";
import { channelOrder, type ChannelOrder } from "./support/channel-orders";
import { eventually, StoredRows } from "./support/db-counts";
import { privateMariadb, type PrivateServer } from "./support/private-servers";
import { buildServices, liveWebhookSecrets, privateNats, productionEnv, startServiceHub, webhookSecretEnv, type PrivateNats, type ServiceHub, type ServiceProcess } from "./support/services";
import { loadOrCreateDemoSecrets } from "../gateway/demo-keys";
import { toGlobalId } from "../subgraphs/kernel/global-id";
import { startReadyProxy } from "./support/ready-proxy";
import { inLanes, sleep, WebhookSender, type Delivery } from "./support/webhook-sender";

/**
 * Crash and fault behaviour with real processes: every service its own child process on
 * MariaDB and NATS JetStream; services, NATS and MariaDB are killed and restarted for real.
 * NATS (and, for the database test, MariaDB) are private servers of this file, so
 * stopping them disturbs no other test.
 */
const MYSQL_URL = process.env.MYSQL_URL;
const describeWithMysql = MYSQL_URL ? describe : describe.skip;
jest.setTimeout(120_000);

const SUBGRAPHS = ["orders", "customers", "products", "aftersales"] as const;
const log = (line: string) => process.stdout.write(`[crash] ${line}\n`);

/** Posts `orders` through `sender`, `lanes` at a time; `during` runs once `startAfter` deliveries were accepted. */
async function postOrders(sender: WebhookSender, orders: ChannelOrder[], lanes: number, startAfter: number, during: () => Promise<void>) {
  let accepted = 0;
  let fired: Promise<void> | undefined;
  await inLanes(orders, lanes, async (o) => {
    const d = await sender.deliver(o.channel, `${o.channel.toUpperCase()}:${o.channelOrderId}`, o.payload);
    if (d.outcome === "accepted" && ++accepted >= startAfter && !fired) fired = during();
  });
  await fired;
}

function outcomeOf(d: Delivery): string | undefined {
  return d.answer?.results?.[0]?.outcome;
}

/**
 * Each channel order of `orders` stored, and its creation applied once. A second row per
 * channel order is impossible anyway (a unique index); the evidence is that none is missing
 * and that each has exactly one order.created event (no index keeps a retried delivery
 * from creating the order's event twice).
 */
async function expectStoredOnce(rows: StoredRows, orders: ChannelOrder[]) {
  const perOrder = await rows.ordersPerChannelOrder();
  const missing = orders.map((o) => `${o.channel.toUpperCase()}:${o.channelOrderId}`).filter((k) => !perOrder.has(k));
  expect(missing).toEqual([]);
  expect(orders.filter((o) => perOrder.get(`${o.channel.toUpperCase()}:${o.channelOrderId}`) !== 1)).toEqual([]);
  const ids = orders.map((o) => o.channelOrderId);
  const stored = await rows.rows<{ id: string; k: string }>(
    "orders",
    `SELECT id, CONCAT(channel, ':', channelOrderId) AS k FROM {db}.orders WHERE channelOrderId IN (${ids.map(() => "?").join(",")})`,
    ids,
  );
  const events = await rows.rows<{ aggregateId: string }>("orders", "SELECT aggregateId FROM {db}.outbox_events WHERE type = 'order.created'");
  const perAggregate = new Map<string, number>();
  for (const e of events) perAggregate.set(e.aggregateId, (perAggregate.get(e.aggregateId) ?? 0) + 1);
  expect(stored.length).toBe(orders.length);
  expect(stored.filter((o) => perAggregate.get(toGlobalId("Order", o.id)) !== 1).map((o) => o.k)).toEqual([]);
}

/** Every order.created the orders outbox holds was applied once by customers: a spend row per order, an identity and a buyer link per buyer. */
async function customersCaughtUp(rows: StoredRows): Promise<{ ok: boolean; detail: string }> {
  const created = await rows.count("orders", "outbox_events", "type = 'order.created'");
  const processed = await rows.count("customers", "processed_events", "consumer = 'customers.order-buyers'");
  const orders = await rows.count("orders", "orders");
  const spend = await rows.count("customers", "customer_spend");
  const [buyers] = await rows.rows<{ n: number }>("orders", "SELECT COUNT(DISTINCT channel, buyerChannelCustomerId) AS n FROM {db}.orders");
  const identities = await rows.count("customers", "channel_identities");
  const links = await rows.count("orders", "buyer_links");
  const detail = `order.created ${created}, processed ${processed}, orders ${orders}, spend rows ${spend}, buyers ${buyers.n}, identities ${identities}, buyer links in orders ${links}`;
  return { ok: created === orders && processed === created && spend === orders && identities === Number(buyers.n) && links === Number(buyers.n), detail };
}

async function expectEveryBuyerOnce(rows: StoredRows) {
  // Identity per channel account unique; every order's buyer has exactly one identity and one link.
  const missing = await rows.rows(
    "orders",
    `SELECT o.channel, o.buyerChannelCustomerId FROM {db}.orders o
       LEFT JOIN {db}.buyer_links l ON l.channel = o.channel AND l.channelCustomerId = o.buyerChannelCustomerId
     WHERE l.channel IS NULL LIMIT 5`,
  );
  expect(missing).toEqual([]);
  const twice = await rows.rows("customers", "SELECT channel, channelCustomerId, COUNT(*) AS n FROM {db}.channel_identities GROUP BY channel, channelCustomerId HAVING COUNT(*) > 1");
  expect(twice).toEqual([]);
  const spendTwice = await rows.rows("customers", "SELECT orderKey, COUNT(*) AS n FROM {db}.customer_spend GROUP BY orderKey HAVING COUNT(*) > 1");
  expect(spendTwice).toEqual([]);
  const [orphan] = await rows.rows<{ n: number }>(
    "customers",
    `SELECT COUNT(*) AS n FROM {db}.customer_spend s WHERE NOT EXISTS (SELECT 1 FROM \`${rows.prefixOf("orders")}\`.orders o WHERE o.id = s.orderKey)`,
  );
  expect(Number(orphan.n)).toBe(0);
}

/** A failing test prints the end of every service's log. */
function withLogs(hub: () => ServiceHub | undefined, run: () => Promise<void>) {
  return async () => {
    try {
      await run();
    } catch (err) {
      for (const p of hub()?.all ?? []) log(`--- ${p.name} ${p.base} (${isRunning(p) ? "running" : "exited"}):\n${p.output().split("\n").slice(-15).join("\n")}`);
      throw err;
    }
  };
}

const isRunning = (p: ServiceProcess) => p.child.exitCode === null && p.child.signalCode === null;

/** Standard Webhooks headers for one attempt, as a channel signs them. */
function signedHeaders(secret: string, body: string): Record<string, string> {
  const id = `msg_${Date.now()}_${Math.random().toString(36).slice(2)}`;
  const now = new Date();
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, now, body),
  };
}

async function streamMessages(natsUrl: string, stream: string): Promise<number> {
  const nc = await connect({ servers: natsUrl, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
}

describeWithMysql("crash and fault behaviour (child processes on MariaDB + NATS)", () => {
  let nats: PrivateNats;
  let hub: ServiceHub;
  let gateways: ServiceProcess[];
  let rows: StoredRows;
  let sender: WebhookSender;
  let webhookSecrets: Record<string, string>;

  beforeAll(async () => {
    buildServices();
    nats = await privateNats();
    const t = Date.now();
    // Secrets production accepts, for every service: the first gateway runs with NODE_ENV=production.
    const secrets = liveWebhookSecrets();
    // A second's grace after SIGTERM lets the proxy take a gateway out.
    hub = await startServiceHub({ natsUrl: nats.url, env: { SHUTDOWN_GRACE_MS: "1000", ...webhookSecretEnv(secrets) }, start: [...SUBGRAPHS] });
    // The first gateway as production runs it (the one the SIGTERM test stops), a second beside it.
    gateways = await Promise.all([hub.start("gateway", { env: productionEnv(hub, secrets) }), hub.start("gateway", { extraInstance: true })]);
    log(`${hub.all.length} processes ready in ${Date.now() - t} ms`);
    rows = new StoredRows(MYSQL_URL!, hub.prefix);
    webhookSecrets = secrets;
    sender = new WebhookSender({ baseUrl: gateways[1].base, secrets });
  }, 180_000);

  afterAll(async () => {
    await rows?.close().catch(() => undefined);
    await hub?.stop();
    await nats?.destroy();
  });

  test("kill -9 orders while channels post webhooks: every 2xx stored once, unanswered deliveries retried and applied once", withLogs(() => hub, async () => {
    const orders = Array.from({ length: 150 }, (_, i) => channelOrder("11", i, 30));
    const local = new WebhookSender({ baseUrl: gateways[0].base, secrets: webhookSecrets });
    let downMs = 0;
    await postOrders(local, orders, 8, 40, async () => {
      const t = Date.now();
      await hub.services.orders.kill();
      log(`orders killed (-9) after ${local.stats().accepted} accepted deliveries`);
      await sleep(1500);
      await hub.start("orders");
      downMs = Date.now() - t;
    });
    const stats = local.stats();
    const redeliveredDuplicates = local.deliveries.filter((d) => d.attempts.length > 1 && outcomeOf(d) === "duplicate").length;
    log(`orders down ${downMs} ms; ${JSON.stringify(stats)}; retried deliveries answered "duplicate" (applied before the lost answer): ${redeliveredDuplicates}`);

    expect(stats).toMatchObject({ deliveries: 150, accepted: 150, refused: 0, gaveUp: 0 });
    // The kill hit deliveries under way: some went unanswered or got a 5xx, and were sent again.
    expect(stats.retried).toBeGreaterThan(0);
    // No delivery was refused while orders was down: every failed attempt was retryable.
    // "Again, later" is 503 or 429, or no answer at all: a 500 would make a channel drop or park the delivery.
    expect(local.deliveries.flatMap((d) => d.attempts).filter((a) => a.status !== undefined && a.status >= 300 && a.status !== 503 && a.status !== 429)).toEqual([]);
    // The retried ones were applied once: the first answer lost, the retry "duplicate"; or refused, then "applied".
    expect(local.deliveries.filter((d) => d.attempts.length > 1).map(outcomeOf).filter((o) => o !== "applied" && o !== "duplicate")).toEqual([]);
    expect(local.deliveries.map(outcomeOf).filter((o) => o !== "applied" && o !== "duplicate")).toEqual([]);
    await expectStoredOnce(rows, orders);
    // One channel event per delivery, never two.
    const [events] = await rows.rows<{ n: number; d: number }>("orders", "SELECT COUNT(*) AS n, COUNT(DISTINCT channel, eventId) AS d FROM {db}.channel_events WHERE channelOrderId LIKE '911%'");
    expect([Number(events.n), Number(events.d)]).toEqual([150, 150]);
    // And each order.created reached customers once (processed marks = events, a spend row per order).
    await eventually("customers catches up", async () => (await customersCaughtUp(rows)).ok, 60_000, async () => (await customersCaughtUp(rows)).detail);
  }));

  test("kill -9 customers while orders arrive: it catches up from JetStream when it comes back, every buyer resolved once", withLogs(() => hub, async () => {
    const tag = "12";
    const orders = Array.from({ length: 120 }, (_, i) => channelOrder(tag, i, 30));
    let killedAt = 0;
    await postOrders(sender, orders, 6, 20, async () => {
      await hub.services.customers.kill();
      killedAt = Date.now();
      log(`customers killed (-9) after ${sender.stats().accepted} accepted deliveries`);
    });
    // Every order was taken while customers was down.
    expect(sender.stats()).toMatchObject({ deliveries: 120, accepted: 120 });
    await expectStoredOnce(rows, orders);
    const behind = await customersCaughtUp(rows);
    log(`while customers is down: ${behind.detail}`);
    expect(behind.ok).toBe(false);

    const restart = Date.now();
    await hub.start("customers");
    const caughtUp = await eventually("customers catches up", async () => (await customersCaughtUp(rows)).ok, 60_000, async () => (await customersCaughtUp(rows)).detail);
    log(`customers down ${restart - killedAt} ms; caught up ${Date.now() - restart} ms after the restart (${caughtUp} ms after it was ready): ${(await customersCaughtUp(rows)).detail}`);
    await expectEveryBuyerOnce(rows);
  }));

  test("NATS stopped: services keep accepting writes, the outboxes grow, and everything drains once NATS is back", withLogs(() => hub, async () => {
    const tag = "13";
    const orders = Array.from({ length: 60 }, (_, i) => channelOrder(tag, i, 15));
    await nats.stop("SIGTERM");
    const stoppedAt = Date.now();
    log("NATS stopped");
    await inLanes(orders, 6, (o) => sender.deliver(o.channel, `${o.channel.toUpperCase()}:${o.channelOrderId}`, o.payload));
    const admin = await hub.mintToken({ sub: "crash:admin", roles: ["admin"] });
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${gateways[1].base}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query: "mutation($i: UpsertProductInput!) { upsertProduct(input: $i) { id } }", variables: { i: { sku: `NATS-DOWN-${i}`, title: `Made while NATS was down ${i}` } } }),
      });
      expect(await r.json()).toMatchObject({ data: { upsertProduct: { id: expect.any(String) } } });
    }
    const taken = sender.deliveries.filter((d) => d.key.includes(`:9${tag}`));
    expect(taken.filter((d) => d.outcome !== "accepted")).toEqual([]);
    await expectStoredOnce(rows, orders);
    const grown = await rows.unpublished(SUBGRAPHS);
    log(`NATS down ${Date.now() - stoppedAt} ms; unpublished outbox rows: ${JSON.stringify(grown)}`);
    expect(grown.orders).toBeGreaterThan(0);
    expect(grown.products).toBeGreaterThan(0);

    const back = Date.now();
    await nats.start();
    const drained = await eventually(
      "the outboxes drain and customers catches up",
      async () => Object.values(await rows.unpublished(SUBGRAPHS)).every((n) => n === 0) && (await customersCaughtUp(rows)).ok,
      60_000,
      async () => `${JSON.stringify(await rows.unpublished(SUBGRAPHS))}; ${(await customersCaughtUp(rows)).detail}`,
    );
    log(`NATS back: drained and caught up in ${drained} ms: ${(await customersCaughtUp(rows)).detail}`);
    await expectEveryBuyerOnce(rows);
    // Published once each: the stream holds exactly one message per outbox row (the event id is the message id).
    let outboxRows = 0;
    for (const s of SUBGRAPHS) outboxRows += await rows.count(s, "outbox_events");
    expect(await streamMessages(nats.url, hub.stream)).toBe(outboxRows);
    // The products made while NATS was down reached orders (its catalog projection).
    const [known] = await rows.rows<{ n: number }>("products", "SELECT COUNT(*) AS n FROM {db}.products WHERE sku LIKE 'NATS-DOWN-%'");
    expect(Number(known.n)).toBe(5);
  }));

  test("SIGTERM one gateway under load with a second beside it: /readyz turns 503 first, requests under way finish, no request fails", withLogs(() => hub, async () => {
    const [first, second] = gateways;
    const proxy = await startReadyProxy([first.base, second.base], 100);
    try {
      await eventually("both gateways ready behind the proxy", async () => proxy.isReady(first.base) && proxy.isReady(second.base), 20_000);
      const admin = await hub.mintToken({ sub: "crash:admin", roles: ["admin"] });
      const query = JSON.stringify({ query: "{ orders(first: 5) { edges { node { id number customer { id } } } } }" });
      let stop = false;
      const failures: string[] = [];
      let done = 0;
      const load = Promise.all(
        Array.from({ length: 8 }, async () => {
          while (!stop) {
            try {
              const r = await fetch(`${proxy.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${admin}` }, body: query });
              const body = (await r.json()) as { data?: { orders?: { edges: unknown[] } }; errors?: unknown };
              if (r.status !== 200 || body.errors || !body.data?.orders) failures.push(`${r.status} ${JSON.stringify(body).slice(0, 200)}`);
            } catch (err) {
              failures.push(String((err as Error).cause ?? err));
            }
            done++;
          }
        }),
      );
      await eventually("load under way", async () => done >= 100, 30_000);

      // A request under way at the SIGTERM, straight to the first gateway: the rest of its body is sent only once that gateway stopped accepting.
      const body = Buffer.from(query);
      let answer: (v: { status: number; text: string }) => void;
      let fail: (e: unknown) => void;
      const inFlight = new Promise<{ status: number; text: string }>((resolve, reject) => ((answer = resolve), (fail = reject)));
      const pending = httpRequest(`${first.base}/graphql`, { method: "POST", headers: { "content-type": "application/json", "content-length": body.length, authorization: `Bearer ${admin}` } }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => answer({ status: res.statusCode ?? 0, text }));
      });
      pending.on("error", (e) => fail(e));
      pending.write(body.subarray(0, 10));
      await sleep(50);

      const beforeSigterm = done;
      const forwardedBefore = { ...proxy.forwarded };
      process.kill(first.pid, "SIGTERM");
      const sentAt = Date.now();
      const readyAnswers: Array<number | undefined> = [];
      let first503At = 0;
      while (isRunning(first)) {
        // A slow answer on a loaded machine is not the end: only a refused connection says it stopped accepting.
        const status = await fetch(`${first.base}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.status,
          (err: Error) => ((err.cause as { code?: string } | undefined)?.code === "ECONNREFUSED" ? "refused" : undefined),
        );
        if (status === "refused") break;
        readyAnswers.push(status);
        if (status === 503 && !first503At) first503At = Date.now();
        await sleep(20);
      }
      // It stopped accepting new connections; now the request under way gets the rest of its body.
      expect(await fetch(`${first.base}/healthz`).then(() => "answered", () => "refused")).toBe("refused");
      pending.end(body.subarray(10));
      const answered = await inFlight;
      const exitCode = (await first.exited).code;
      const afterExit = done;
      await eventually("load goes on after the exit", async () => done >= afterExit + 100, 30_000);
      stop = true;
      await load;
      log(
        `SIGTERM → first 503 on /readyz after ${first503At - sentAt} ms (${readyAnswers.filter((s) => s === 200).length} answers 200 before it); ` +
          `exit code ${exitCode}; requests: ${done} in all, ${beforeSigterm} before the SIGTERM, ${failures.length} failed; forwarded ${JSON.stringify(proxy.forwarded)} (before: ${JSON.stringify(forwardedBefore)}); proxy errors ${proxy.failed}`,
      );
      // Ready until the signal is handled, then 503 (never ready again) while it still answers, then no longer accepting.
      const answers = readyAnswers.filter((s) => s !== undefined);
      const turned = answers.indexOf(503);
      expect(turned).toBeGreaterThanOrEqual(0);
      expect(answers.slice(0, turned).every((s) => s === 200)).toBe(true);
      expect(answers.slice(turned).every((s) => s === 503)).toBe(true);
      expect(answered.status).toBe(200);
      expect(JSON.parse(answered.text)).toMatchObject({ data: { orders: { edges: expect.any(Array) } } });
      expect(exitCode).toBe(0);
      expect(failures).toEqual([]);
      expect(proxy.failed).toBe(0);
      expect(proxy.forwarded[second.base]).toBeGreaterThan(forwardedBefore[second.base]);
    } finally {
      await proxy.close();
    }
  }));
});

describeWithMysql("MariaDB restarted while webhooks arrive (a private mariadbd)", () => {
  let mariadb: PrivateServer;
  let nats: PrivateNats;
  let hub: ServiceHub;
  let gateway: ServiceProcess;
  let rows: StoredRows;

  beforeAll(async () => {
    buildServices();
    [mariadb, nats] = await Promise.all([privateMariadb(), privateNats()]);
    // Orders and the gateway only: webhooks need no other service.
    hub = await startServiceHub({ mysqlUrl: mariadb.url, natsUrl: nats.url, start: ["orders"] });
    gateway = await hub.start("gateway");
    rows = new StoredRows(mariadb.url, hub.prefix);
  }, 180_000);

  afterAll(async () => {
    await rows?.close().catch(() => undefined);
    await hub?.stop();
    await Promise.all([mariadb?.remove(), nats?.destroy()]);
  });

  test("no accepted delivery is lost; the refused ones get a retryable status and land once on retry", withLogs(() => hub, async () => {
    const orders = Array.from({ length: 120 }, (_, i) => channelOrder("14", i, 30));
    const sender = new WebhookSender({ baseUrl: gateway.base, secrets: loadOrCreateDemoSecrets(hub.dataDir) });
    let downMs = 0;
    await postOrders(sender, orders, 6, 30, async () => {
      const t = Date.now();
      await mariadb.stop("SIGKILL");
      log(`mariadbd killed (-9) after ${sender.stats().accepted} accepted deliveries`);
      await sleep(2000);
      await mariadb.start();
      downMs = Date.now() - t;
    });
    const stats = sender.stats();
    log(`MariaDB down ${downMs} ms (restart included); ${JSON.stringify(stats)}`);
    expect(hub.all.filter((p) => !isRunning(p)).map((p) => p.name)).toEqual([]);
    expect(stats).toMatchObject({ deliveries: 120, accepted: 120, refused: 0, gaveUp: 0 });
    expect(stats.retried).toBeGreaterThan(0);
    const failedAttempts = sender.deliveries.flatMap((d) => d.attempts).filter((a) => a.status === undefined || a.status >= 300);
    // Refused while the database was away: 503 (retry later), never a 4xx that would make a channel drop the event, nor a 500.
    expect(failedAttempts.filter((a) => a.status !== 503)).toEqual([]);
    await expectStoredOnce(rows, orders);
    const drained = await eventually("the orders outbox drains", async () => (await rows.unpublished(["orders"])).orders === 0, 30_000);
    log(`orders outbox drained ${drained} ms after the last delivery`);
  }));

  test("while the database is down: a delivery gets 503 with Retry-After, a query SERVICE_UNAVAILABLE, and the delivery lands once when it is back", withLogs(() => hub, async () => {
    const secrets = loadOrCreateDemoSecrets(hub.dataDir);
    const once = new WebhookSender({ baseUrl: gateway.base, secrets, maxAttempts: 1 });
    const order = channelOrder("15", 0, 1);
    await mariadb.stop("SIGKILL");
    try {
      const refused = await once.deliver(order.channel, order.channelOrderId, order.payload);
      expect(refused.attempts).toEqual([{ status: 503 }]);
      const raw = await fetch(`${gateway.base}/webhooks/${order.channel}`, { method: "POST", headers: signedHeaders(secrets[order.channel], refused.body), body: refused.body });
      expect([raw.status, raw.headers.get("retry-after")]).toEqual([503, "1"]);
      expect(await raw.json()).toMatchObject({ errors: [{ extensions: { code: "SERVICE_UNAVAILABLE" } }] });
      const admin = await hub.token(["admin"]);
      const read = await hub.query("{ orders(first: 1) { edges { node { id } } } }", {}, admin);
      expect(read.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
      expect(JSON.stringify(read.errors)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|SQL/);
      expect((await fetch(`${hub.services.orders.base}/readyz`)).status).toBe(503);
    } finally {
      await mariadb.start();
    }
    const sender = new WebhookSender({ baseUrl: gateway.base, secrets });
    const landed = await sender.deliver(order.channel, order.channelOrderId, order.payload);
    expect([landed.outcome, outcomeOf(landed)]).toEqual(["accepted", "applied"]);
    await expectStoredOnce(rows, [order]);
  }));
});

import type { DataSource } from "typeorm";
import type { BenchTarget } from "./targets";
import { isSqlite } from "../../subgraphs/kernel/database";
import { Channel } from "../../subgraphs/kernel/types";
import { ChannelEventRow, ChannelEventStatus, OrderExceptionRow, OrderLineRow, OrderRow } from "../../subgraphs/orders/entities";
import { OrderStatus } from "../../subgraphs/orders/status";
import { buyersOn, mappedSkusOn } from "./fill";
import { runLoad, type LoadSummary } from "./load";
import { formatRss } from "./rss";
import { allApplied, buildRequest, webhookEvent, type WebhookJob } from "./requests";

/**
 * Third phase: channel webhook ingestion. Drives POST /webhooks/web (Standard Webhooks
 * signature checked by the gateway, event adapted and applied exactly once by orders)
 * with a new order.created event per request, then times plain single-row INSERTs of
 * the same orders into a scratch copy of the orders table on the same database, so
 * the cost of one event can be read against the cost of one bare row.
 */

export interface WebhookPhaseSettings {
  seconds: number;
  warmupSeconds: number;
  connections: number;
  /** Optional cap on the plain INSERTs per mode (BENCH_PLAIN_INSERTS); otherwise as many as fit in `seconds`. */
  plainInsertCap?: number;
}

export interface InsertRun {
  name: string;
  lanes: number;
  inserts: number;
  seconds: number;
  perSecond: number;
  /** Wall-clock time per insert: elapsed ÷ inserts (with lanes > 1, the amortized cost). */
  meanUs: number;
  /** Latency of one INSERT statement as its caller sees it. */
  p50Us: number;
  p99Us: number;
}

export interface WebhookPhaseResult {
  summary: LoadSummary;
  rssMb: Record<string, number>;
  plain: InsertRun[];
  problems: string[];
}

const SCRATCH = "bench_plain_orders";

// ---------------------------------------------------------------- webhook load

function webhookJob(hub: BenchTarget, webhookSecret: string, settings: WebhookPhaseSettings, runTag: string, seconds = settings.seconds): WebhookJob {
  return {
    target: "webhook",
    url: new URL("/webhooks/web", hub.url).toString(),
    seconds,
    connections: settings.connections,
    webhookSecret,
    runTag,
    buyers: buyersOn(Channel.WEB),
    skus: mappedSkusOn(Channel.WEB),
  };
}

async function post(job: WebhookJob, headers: Record<string, string>, body: string) {
  const res = await fetch(job.url, { method: "POST", headers, body });
  return { status: res.status, text: await res.text() };
}

/**
 * A few deliveries built exactly like the measured ones must each create an order with
 * mapped SKUs; a redelivery must be a duplicate; a body that does not match its
 * signature must be refused. So the load below measures real, checked ingestion.
 */
async function spotCheck(hub: BenchTarget, job: WebhookJob): Promise<void> {
  const ds = hub.ordersDs;
  for (let i = 0; i < 3; i++) {
    const { headers, body } = buildRequest(job, i);
    const r = await post(job, headers, body);
    if (!allApplied(r.status, r.text)) throw new Error(`webhook spot check ${i}: ${r.status} ${r.text.slice(0, 400)}`);
    const event = JSON.parse(body) as ReturnType<typeof webhookEvent>;
    const order = await ds.getRepository(OrderRow).findOneBy({ channel: Channel.WEB, channelOrderId: event.order.channelOrderId });
    if (!order) throw new Error(`webhook spot check ${i}: order ${event.order.channelOrderId} was not stored`);
    const lines = await ds.getRepository(OrderLineRow).countBy({ orderId: order.id });
    if (lines !== event.order.lines!.length) throw new Error(`webhook spot check ${i}: ${lines} lines stored, ${event.order.lines!.length} sent`);
    if (order.buyerChannelCustomerId !== event.order.buyer!.channelCustomerId) throw new Error(`webhook spot check ${i}: wrong buyer ${order.buyerChannelCustomerId}`);
    if (await ds.getRepository(OrderExceptionRow).countBy({ orderId: order.id })) throw new Error(`webhook spot check ${i}: the order has an exception (unmapped SKU?)`);
    if (order.status === OrderStatus.PENDING_PAYMENT) throw new Error(`webhook spot check ${i}: a paid event left the order ${order.status}`);
  }
  // The same event again, freshly signed (a channel retry): exactly once means "duplicate".
  const again = buildRequest(job, 0);
  const dup = await post(job, again.headers, again.body);
  if (dup.status !== 200 || !dup.text.includes('"outcome":"duplicate"')) throw new Error(`webhook redelivery was not a duplicate: ${dup.status} ${dup.text.slice(0, 300)}`);
  // A signed request whose body was changed afterwards.
  const signed = buildRequest(job, 3);
  const tampered = await post(job, signed.headers, signed.body.replace('"quantity":', '"quantity":1'));
  if (tampered.status !== 401) throw new Error(`a tampered webhook body got ${tampered.status}, expected 401: ${tampered.text.slice(0, 300)}`);
}

async function counts(ds: DataSource) {
  return {
    orders: await ds.getRepository(OrderRow).count(),
    appliedEvents: await ds.getRepository(ChannelEventRow).countBy({ channel: Channel.WEB, status: ChannelEventStatus.APPLIED }),
    exceptions: await ds.getRepository(OrderExceptionRow).count(),
  };
}

// ---------------------------------------------------------------- plain INSERTs

const pad2 = (n: number) => String(n).padStart(2, "0");
/** "YYYY-MM-DD HH:MM:SS.mmm" in UTC: what TypeORM writes for datetime(3) on both databases. */
function sqlTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, "0")}`;
}

const COLUMNS = [
  "number", "channel", "channelOrderId", "status", "placedAt", "buyerChannelCustomerId", "currency",
  "subtotalMinor", "discountMinor", "shippingMinor", "totalMinor", "shippingAddress", "promisedDeliveryBy",
  "statusChangedAt", "sourceUpdatedAt", "onHold", "holdReason", "version",
] as const;

/** The orders row of webhook event i, as one INSERT's parameters (createdAt/updatedAt take their defaults). */
function plainRow(job: WebhookJob, i: number): unknown[] {
  const now = new Date();
  const e = webhookEvent(job, i, now);
  const subtotal = e.order.lines!.reduce((sum, l) => sum + l.quantity * Math.round(Number(l.unitPrice) * 100), 0);
  const shipping = Math.round(Number(e.order.shippingFee) * 100);
  const at = sqlTime(now);
  return [
    `B${job.runTag.slice(-6)}${i}`.slice(0, 20), Channel.WEB, e.order.channelOrderId, OrderStatus.PAID, at, e.order.buyer!.channelCustomerId, "CNY",
    subtotal, 0, shipping, subtotal + shipping, JSON.stringify(e.order.receiver!.address), null,
    at, at, 0, null, 1,
  ];
}

/** bench_plain_orders: the orders table's columns, types and indexes, and none of its rows. */
async function createScratchTable(ds: DataSource): Promise<void> {
  await ds.query(`DROP TABLE IF EXISTS ${ds.driver.escape(SCRATCH)}`);
  if (!isSqlite(ds)) {
    await ds.query(`CREATE TABLE ${ds.driver.escape(SCRATCH)} LIKE ${ds.driver.escape("orders")}`);
    return;
  }
  const objects = (await ds.query("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'orders' AND sql IS NOT NULL ORDER BY type DESC")) as Array<{ type: string; name: string; sql: string }>;
  const table = objects.find((o) => o.type === "table");
  if (!table) throw new Error("The orders table was not found in the SQLite database.");
  await ds.query(table.sql.replace(/^CREATE TABLE\s+("orders"|orders)/i, `CREATE TABLE "${SCRATCH}"`));
  for (const index of objects.filter((o) => o.type === "index")) {
    await ds.query(index.sql.replace(`"${index.name}"`, `"${SCRATCH}_${index.name}"`).replace(/\bON\s+("orders"|orders)/i, `ON "${SCRATCH}"`));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

/**
 * `lanes` callers each insert one row at a time until `seconds` are up (or the cap is
 * reached). One lane holds one query runner (one connection); several lanes use
 * ds.query, i.e. the orders pool the webhook path uses too.
 */
async function timeInserts(ds: DataSource, job: WebhookJob, name: string, lanes: number, seconds: number, cap?: number): Promise<InsertRun> {
  const sql = `INSERT INTO ${ds.driver.escape(SCRATCH)} (${COLUMNS.map((c) => ds.driver.escape(c)).join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`;
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const more = () => performance.now() < deadline && (cap === undefined || next < cap);
  if (lanes === 1) {
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      while (more()) {
        const params = plainRow(job, next++);
        const t = performance.now();
        await runner.query(sql, params);
        latencies.push(performance.now() - t);
      }
    } finally {
      await runner.release();
    }
  } else {
    const lane = async () => {
      while (more()) {
        const params = plainRow(job, next++);
        const t = performance.now();
        await ds.query(sql, params);
        latencies.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  }
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    lanes,
    inserts: latencies.length,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    meanUs: (elapsed * 1e6) / latencies.length,
    p50Us: percentile(latencies, 50) * 1000,
    p99Us: percentile(latencies, 99) * 1000,
  };
}

async function plainInserts(ds: DataSource, hub: BenchTarget, secret: string, settings: WebhookPhaseSettings): Promise<InsertRun[]> {
  await createScratchTable(ds);
  try {
    const tag = `${process.pid}`;
    const job = (run: string) => webhookJob(hub, secret, settings, `plain-${tag}-${run}`);
    // Warm-up: statement caches, the table's first pages.
    await timeInserts(ds, job("w"), "warm-up", 1, Math.min(1, settings.warmupSeconds), 200);
    const runs = [await timeInserts(ds, job("s"), "plain INSERT, sequential", 1, settings.seconds, settings.plainInsertCap)];
    if (isSqlite(ds)) {
      console.log("Plain INSERTs: SQLite has one connection per database file here, so sequential only.");
    } else {
      runs.push(await timeInserts(ds, job("c"), `plain INSERT, ${settings.connections} concurrent`, settings.connections, settings.seconds, settings.plainInsertCap));
    }
    const [{ n }] = (await ds.query(`SELECT COUNT(*) AS n FROM ${ds.driver.escape(SCRATCH)}`)) as Array<{ n: number | string }>;
    const timed = runs.reduce((sum, r) => sum + r.inserts, 0);
    if (Number(n) < timed) throw new Error(`${SCRATCH} holds ${n} rows after ${timed} timed INSERTs`);
    return runs;
  } finally {
    await ds.query(`DROP TABLE IF EXISTS ${ds.driver.escape(SCRATCH)}`);
  }
}

// ---------------------------------------------------------------- the phase

export async function webhookPhase(hub: BenchTarget, webhookSecret: string, settings: WebhookPhaseSettings): Promise<WebhookPhaseResult> {
  const ds = hub.ordersDs;
  const tag = `${process.pid}`;
  await spotCheck(hub, webhookJob(hub, webhookSecret, settings, `${tag}-spot`));
  await hub.settle();

  const before = await counts(ds);
  const warm = await runLoad(webhookJob(hub, webhookSecret, settings, `${tag}-warm`, settings.warmupSeconds));
  const summary = await runLoad(webhookJob(hub, webhookSecret, settings, `${tag}-run`));
  const rssMb = await hub.rss();
  // Deliveries still in flight when autocannon stopped may complete after it: let them, and the relay, finish.
  await new Promise((r) => setTimeout(r, 500));
  await hub.settle();
  const after = await counts(ds);
  console.log(
    `webhook (POST /webhooks/web): ${summary.requests} events in ${summary.seconds} s, ${summary.applied} applied; ` +
      `RSS ${formatRss(rssMb)}.`,
  );

  const problems: string[] = [];
  const name = "webhook ingestion";
  if (summary.requests === 0) problems.push(`${name}: no request completed`);
  for (const s of [warm, summary]) {
    const bad = s.non2xx + (s.notApplied ?? 0) + s.socketErrors + s.timeouts;
    if (bad > 0) problems.push(`${name}: ${bad} failed deliveries (status codes ${JSON.stringify(s.statusCodes)}, ${s.notApplied} not applied); first: ${s.firstProblem ?? "-"}`);
  }

  // Sanity: exactly once. Every applied event made one order, and nothing else did.
  const grew = after.orders - before.orders;
  const appliedInDb = after.appliedEvents - before.appliedEvents;
  const appliedReplies = (warm.applied ?? 0) + (summary.applied ?? 0);
  // Up to one delivery per connection and run is in flight when autocannon stops: applied, unanswered.
  const inFlight = 2 * settings.connections;
  console.log(
    `Sanity: orders grew by ${grew} (${before.orders} → ${after.orders}); applied web events in channel_events +${appliedInDb}; ` +
      `"applied" replies ${appliedReplies} (warm-up ${warm.applied} + measured ${summary.applied}), so ${grew - appliedReplies} applied ` +
      `after autocannon stopped waiting (allowed: up to ${inFlight}); new order exceptions ${after.exceptions - before.exceptions}.`,
  );
  if (grew !== appliedInDb) problems.push(`${name}: orders grew by ${grew} but ${appliedInDb} events were applied`);
  if (grew < appliedReplies || grew > appliedReplies + inFlight) {
    problems.push(`${name}: orders grew by ${grew}, expected the ${appliedReplies} applied replies (+ at most ${inFlight} unanswered at the stop)`);
  }
  if (after.exceptions !== before.exceptions) problems.push(`${name}: ${after.exceptions - before.exceptions} order exceptions opened (unmapped SKUs?)`);

  const plain = await plainInserts(ds, hub, webhookSecret, settings);
  if (await ds.getRepository(OrderRow).count() !== after.orders) problems.push("plain INSERTs: the orders table changed");
  return { summary, rssMb, plain, problems };
}

// ---------------------------------------------------------------- report

export function printWebhookTable(result: WebhookPhaseResult, databaseKind: string): void {
  const s = result.summary;
  const eventMs = 1000 / s.rps;
  const header = ["run", "per s", "mean ms", "p50 ms", "p99 ms", "non-2xx", "not applied", "socket errors"];
  const rows = [
    ["webhook events (POST /webhooks/web)", s.rps.toFixed(1), eventMs.toFixed(3), s.p50.toFixed(1), s.p99.toFixed(1), String(s.non2xx), String(s.notApplied ?? 0), String(s.socketErrors + s.timeouts)],
    ...result.plain.map((r) => [
      `${r.name} (${r.inserts})`,
      r.perSecond.toFixed(0),
      (r.meanUs / 1000).toFixed(3),
      (r.p50Us / 1000).toFixed(3),
      (r.p99Us / 1000).toFixed(3),
      "-",
      "-",
      "-",
    ]),
  ];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((l) => l[c].length)));
  const format = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  console.log(`\nWebhook ingestion vs plain INSERT (${databaseKind}; mean ms = wall clock ÷ count at the measured rate)`);
  console.log(`${format(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
  for (const l of rows) console.log(format(l));
  console.log("");
  for (const r of result.plain) {
    console.log(`${r.name}: ${r.perSecond.toFixed(0)} inserts/s, mean ${r.meanUs.toFixed(0)} µs per insert.`);
    console.log(`  webhook event cost ÷ ${r.name} cost = ${eventMs.toFixed(3)} ms ÷ ${(r.meanUs / 1000).toFixed(3)} ms = ${(eventMs / (r.meanUs / 1000)).toFixed(1)}×`);
  }
}

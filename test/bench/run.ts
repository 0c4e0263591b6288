// First: NODE_ENV=production before graphql is loaded.
import "./production-mode";
import { randomBytes } from "node:crypto";
import type { DataSource } from "typeorm";
import { mustQuery } from "../../gateway/client";
import { parseGlobalId } from "../../subgraphs/kernel/global-id";
import { encodePrincipal } from "../../subgraphs/kernel/internal-auth";
import { OrderRow } from "../../subgraphs/orders/entities";
import { BUYER_COUNT, createCatalog, ingestOrders, PRODUCT_COUNT } from "./fill";
import { runLoad, type LoadSummary } from "./load";
import { buildRequest, type GatewayJob, type LoadJob, type SubgraphJob } from "./requests";
import { formatRss } from "./rss";
import { interleavedRounds, msPerRequest, type GatewayRounds } from "./peer-phase";
import { startStockGateway } from "./stock-peer";
import { oneProcessTarget, servicesTarget, type BenchMode, type BenchTarget, type PreparedReadStats } from "./targets";
import { printWebhookTable, webhookPhase, type WebhookPhaseResult } from "./webhook-phase";
import { evaluate } from "../identity/evaluate";
import { printSoak, soakPhase, type SoakResult } from "./soak-phase";
import { applyHeapGrowth } from "../../subgraphs/kernel/heap";

/**
 * Storefront benchmark: fills a fresh hub with BENCH_ORDERS orders, then drives the
 * "my orders" query through the gateway and the orders part of it straight against
 * the orders subgraph, and prints throughput and latency for both. A third phase posts
 * signed order.created webhooks to POST /webhooks/web (a new order per request) and
 * compares the cost of one event with a plain single-row INSERT on the same database.
 *
 * The storefront query also runs through a stock @apollo/gateway (stock-gateway.ts, its
 * own process, over the same subgraphs), in rounds alternating with our gateway
 * (BENCH_ROUNDS each, BENCH_SECONDS long), and the bench prints both gateways' req/s,
 * latency and CPU per request side by side, ending with the ratios.
 *
 * BENCH_MODE (default both) says where the hub runs: one-process (the whole hub in this
 * process, as `npm start` runs it) or services (each service its own process,
 * dist/gateway/start-service.js, on MariaDB and NATS JetStream, as production runs it).
 * With both, the same data set and load run on each in turn and a last table sets them
 * side by side. Services mode needs MYSQL_URL (and NATS on NATS_URL, default
 * 127.0.0.1:4222); without MYSQL_URL, "both" runs one-process only and says so.
 *
 *   npm run bench
 *   BENCH_ORDERS=2000 BENCH_SECONDS=5 BENCH_CONNECTIONS=10 node dist/test/bench/run.js
 *   MYSQL_URL=mysql://root@127.0.0.1:3306 BENCH_MODE=both node dist/test/bench/run.js
 */

function wholeNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name}="${raw}" must be a whole number of at least ${min}.`);
  return Number(raw);
}

function positiveInt(name: string, fallback: number): number {
  return wholeNumber(name, fallback, 1);
}

const settings = {
  orders: positiveInt("BENCH_ORDERS", 10_000),
  seconds: positiveInt("BENCH_SECONDS", 10),
  /** Rounds per gateway in the interleaved comparison with the stock gateway. */
  rounds: positiveInt("BENCH_ROUNDS", 3),
  connections: positiveInt("BENCH_CONNECTIONS", 10),
  /** Discarded first seconds per run: JIT, query planning and the database cache warm up. */
  // Long enough for the slowest start: the JIT of five processes and every pooled connection's statements.
  warmupSeconds: positiveInt("BENCH_WARMUP_SECONDS", 10),
  /** How many customers get a token; requests rotate over them. */
  shoppers: positiveInt("BENCH_SHOPPERS", 300),
  fillConcurrency: positiveInt("BENCH_FILL_CONCURRENCY", 16),
  /** Caps the plain INSERTs of the webhook phase per mode; by default as many as fit in BENCH_SECONDS. */
  plainInsertCap: process.env.BENCH_PLAIN_INSERTS ? positiveInt("BENCH_PLAIN_INSERTS", 1) : undefined,
  modes: benchModes(process.env.BENCH_MODE),
  /** Storefront load for the memory check (0 skips it); RSS is read every BENCH_SOAK_SLICE_SECONDS. */
  soakSeconds: wholeNumber("BENCH_SOAK_SECONDS", 600, 0),
  soakSliceSeconds: positiveInt("BENCH_SOAK_SLICE_SECONDS", 30),
  /** The services' log level: info would write a line per request (and per subgraph fetch) into the measured run. */
  logLevel: process.env.BENCH_LOG_LEVEL || "warn",
  /** NODE_OPTIONS for the services' processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them. */
  serviceNodeOptions: process.env.BENCH_SERVICE_NODE_OPTIONS || undefined,
};

function benchModes(raw: string | undefined): BenchMode[] {
  const value = (raw ?? "both").trim() || "both";
  if (value === "both") return ["one-process", "services"];
  if (value === "one-process" || value === "services") return [value];
  throw new Error(`BENCH_MODE="${value}" must be services, one-process or both.`);
}

function databaseKind(ds: DataSource): string {
  return { "better-sqlite3": "SQLite", mariadb: "MariaDB", mysql: "MySQL" }[ds.options.type as string] ?? ds.options.type;
}

// ---------------------------------------------------------------- fill

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

async function fillHub(hub: BenchTarget, adminToken: string): Promise<void> {
  const start = performance.now();
  await createCatalog(hub.url, adminToken);
  // Orders learn of the SKU mappings through events; orders ingested before would open exceptions.
  await hub.settle();
  const catalogDone = performance.now();
  await ingestOrders(hub.ordersDs, settings.orders, settings.fillConcurrency);
  const ordersDone = performance.now();
  // Customers, buyer links and product links are built from order.created events.
  await hub.settle();
  console.log(
    `Filled in ${seconds(start)} s: catalog ${((catalogDone - start) / 1000).toFixed(1)} s, ` +
      `${settings.orders} orders ${((ordersDone - catalogDone) / 1000).toFixed(1)} s, events settled ${seconds(ordersDone)} s.`,
  );
}

/** Every golden customer's ID, paging through the gateway as an admin. */
async function listCustomerIds(url: string, adminToken: string): Promise<string[]> {
  type Page = { customers: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: Page = await mustQuery<Page>(
      url,
      "query($after: String) { customers(first: 100, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }",
      { after },
      adminToken,
    );
    ids.push(...page.customers.edges.map((e) => e.node.id));
    if (!page.customers.pageInfo.hasNextPage) return ids;
    after = page.customers.pageInfo.endCursor;
  }
}

/**
 * fetch may reuse a keep-alive socket the gateway is closing at that moment (the gateway
 * drops idle ones after 65 s; a long settle leaves the fill's sockets idle that long), and
 * then fails with ECONNRESET before any byte of a reply. Read-only steps retry once.
 */
async function retryOnReset<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (!(err instanceof TypeError) || cause?.code !== "ECONNRESET") throw err;
    console.log(`(${what}: connection reset by the gateway on a reused keep-alive socket; retrying once)`);
    return work();
  }
}

// ---------------------------------------------------------------- spot checks

/** Sends a few requests exactly as the load generator builds them and insists on real answers. */
async function spotCheck(job: LoadJob, customerIds: string[], count: number, label: string = job.target): Promise<void> {
  for (let i = 0; i < count; i++) {
    const { headers, body } = buildRequest(job, i);
    const res = await fetch(job.url, { method: "POST", headers, body });
    const reply = (await res.json()) as { data?: any; errors?: unknown[] };
    const where = `${label} spot check ${i} (${customerIds[i % customerIds.length]})`;
    if (res.status !== 200 || reply.errors?.length || !reply.data) {
      throw new Error(`${where} failed with ${res.status}: ${JSON.stringify(reply).slice(0, 600)}`);
    }
    const problem = job.target === "gateway" ? gatewayProblem(reply.data, customerIds[i % customerIds.length]) : subgraphProblem(reply.data);
    if (problem) throw new Error(`${where}: ${problem}`);
  }
}

function gatewayProblem(data: any, customerId: string): string | null {
  const me = data.me;
  if (me?.id !== customerId) return `me is ${JSON.stringify(me?.id)}, expected ${customerId}`;
  const orders: any[] = me.orders.edges.map((e: any) => e.node);
  if (orders.length === 0) return "the customer has no orders, but every bench customer has some";
  if (orders.some((o) => o.customer?.id !== customerId)) return "an order in me.orders belongs to another customer";
  if (orders.some((o) => o.lines.some((l: any) => !l.product))) return "an order line has no product although every channel SKU is mapped";
  return null;
}

function subgraphProblem(data: any): string | null {
  return data.orders?.edges?.length > 0 ? null : "the orders query returned no orders";
}

// ---------------------------------------------------------------- measuring

interface Measurement {
  name: string;
  summary: LoadSummary;
  rssMb: Record<string, number>;
}

function printTable(rows: Measurement[]): void {
  const header = ["run", "req/s", "p50 ms", "p99 ms", "non-2xx", "gql errors", "socket errors"];
  const lines = rows.map(({ name, summary: s }) => [
    name,
    s.rps.toFixed(1),
    s.p50.toFixed(1),
    s.p99.toFixed(1),
    String(s.non2xx),
    String(s.graphqlErrors),
    String(s.socketErrors + s.timeouts),
  ]);
  printAligned(header, lines);
}

function printAligned(header: string[], lines: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const format = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  console.log(`\n${format(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
  for (const l of lines) console.log(format(l));
}

function failures(rows: Measurement[]): string[] {
  return rows.flatMap(({ name, summary: s }) => {
    const bad = s.non2xx + s.graphqlErrors + s.socketErrors + s.timeouts;
    if (s.requests === 0) return [`${name}: no request completed`];
    return bad > 0 ? [`${name}: ${bad} failed requests (status codes ${JSON.stringify(s.statusCodes)}); first: ${s.firstProblem ?? "-"}`] : [];
  });
}

// ---------------------------------------------------------------- main

interface ModeResult {
  mode: BenchMode;
  database: string;
  gateway: LoadSummary;
  stock: LoadSummary;
  cpu: GatewayCpu;
  direct: LoadSummary;
  webhooks: WebhookPhaseResult;
  rssMb: Record<string, number>;
  problems: string[];
}

async function benchmark(hub: BenchTarget, secret: string, webhookSecret: string): Promise<ModeResult> {
  const adminToken = await hub.mintToken({ sub: "bench:admin", roles: ["admin"] });
  await fillHub(hub, adminToken);

  const orderCount = await hub.ordersDs.getRepository(OrderRow).count();
  const customerIds = await retryOnReset("listing customers", () => listCustomerIds(hub.url, adminToken));
  const shoppers = customerIds.slice(0, settings.shoppers);
  const database = databaseKind(hub.ordersDs);
  console.log(
    `Database: ${database}; ${orderCount} orders, ${customerIds.length} customers ` +
      `(${BUYER_COUNT} buyers expected), ${PRODUCT_COUNT} products; ${shoppers.length} shoppers with tokens.`,
  );

  const common = { seconds: settings.seconds, connections: settings.connections };
  const gatewayJob: GatewayJob = {
    ...common,
    target: "gateway",
    url: hub.url,
    tokens: await Promise.all(shoppers.map((sub) => hub.mintToken({ sub, roles: ["customer"] }))),
  };
  const subgraphJob: SubgraphJob = {
    ...common,
    target: "subgraph",
    url: hub.ordersUrl,
    secret,
    principals: shoppers.map((sub) => encodePrincipal({ sub, roles: ["customer"], customerKey: parseGlobalId(sub, "Customer") })),
  };
  await spotCheck(gatewayJob, shoppers, 6, "our gateway");
  await spotCheck(subgraphJob, shoppers, 6);

  const stockGateway = await startStockGateway({ subgraphUrls: hub.subgraphUrls, internalSecret: secret, jwt: hub.jwt });
  let gateways: GatewayRounds[];
  let preparedFrom: Record<string, PreparedReadStats> = {};
  try {
    const stockJob: GatewayJob = { ...gatewayJob, url: stockGateway.url };
    await spotCheck(stockJob, shoppers, 6, "stock @apollo/gateway");
    console.log(
      `Load: ${settings.connections} connections; our gateway, the stock @apollo/gateway and the orders subgraph alone alternate, ` +
        `${settings.warmupSeconds} s warm-up each, then ${settings.rounds} rounds of ${settings.seconds} s each.`,
    );
    gateways = await interleavedRounds(
      [
        { name: "our gateway", job: gatewayJob, pid: hub.gatewayPid },
        { name: "stock @apollo/gateway", job: stockJob, pid: stockGateway.pid },
        // In the same rounds, so the hub ÷ orders-alone ratio is not one run against another.
        { name: "orders subgraph (direct)", job: subgraphJob, pid: hub.subgraphPids[0] },
      ],
      hub.subgraphPids,
      settings.rounds,
      settings.warmupSeconds,
      // Prepared statements are counted from the end of the warm-up.
      async () => void (preparedFrom = await hub.preparedStatements()),
    );
  } finally {
    await stockGateway.stop();
  }
  const [ours, stock, ordersAlone] = gateways;
  const preparedTo = await hub.preparedStatements();
  const grew = (p: string, key: keyof PreparedReadStats) => preparedTo[p][key] - (preparedFrom[p]?.[key] ?? 0);
  const preparedIn = (key: keyof PreparedReadStats) => Object.keys(preparedTo).reduce((sum, p) => sum + grew(p, key), 0);
  const prepared = preparedIn("prepared");
  const byProcess = Object.keys(preparedTo)
    .filter((p) => grew(p, "prepared") !== 0)
    .map((p) => `${p} ${grew(p, "prepared")}`);
  const rows: Measurement[] = [
    { name: `our gateway (storefront query, ${settings.rounds} rounds)`, summary: ours.summary, rssMb: await hub.rss() },
    { name: `stock @apollo/gateway (same, ${settings.rounds} rounds)`, summary: stock.summary, rssMb: {} },
    { name: `orders subgraph (direct, ${settings.rounds} rounds)`, summary: ordersAlone.summary, rssMb: {} },
  ];
  console.log(`RSS after the rounds: ${formatRss(rows[0].rssMb)}.`);
  printTable(rows);
  console.log("(each row: requests and errors over all rounds, req/s = requests ÷ seconds, p50/p99 the median over rounds)");
  const cpu = gatewayCpu(hub, ours, stock);
  printCpu(cpu);
  const direct = rows[2].summary.rps;
  console.log(`\nours ÷ stock @apollo/gateway req/s = ${(ours.summary.rps / stock.summary.rps).toFixed(2)} (${hub.mode})`);
  console.log(`ours ÷ stock @apollo/gateway gateway CPU per request = ${(cpu.ours.gatewayMs / cpu.stock.gatewayMs).toFixed(2)} (${hub.mode})`);
  console.log(`gateway req/s ÷ orders-subgraph req/s = ${(ours.summary.rps / direct).toFixed(2)} (${hub.mode})`);
  // Counted over all the rounds, orders-alone ones included, and set against the storefront requests.
  const storefrontRequests = ours.summary.requests + stock.summary.requests;
  console.log(
    `SQL statements prepared per storefront request after warm-up = ${(prepared / storefrontRequests).toFixed(3)} ` +
      `(${prepared} over the rounds${byProcess.length ? ` [${byProcess.join(", ")}]` : ""}, ${preparedIn("texts")} new texts${database === "SQLite" ? "" : `, ${preparedIn("evicted")} pushed an older statement out`}; ` +
      `the rounds served ${storefrontRequests} storefront requests and ${ordersAlone.summary.requests} orders-alone ones; ${hub.mode}, ${database})`,
  );

  let soak: SoakResult | undefined;
  if (settings.soakSeconds > 0) {
    console.log(`\nMemory: ${settings.soakSeconds} s of storefront load through our gateway, RSS read every ${settings.soakSliceSeconds} s.`);
    soak = await soakPhase(hub, gatewayJob, { seconds: settings.soakSeconds, sliceSeconds: settings.soakSliceSeconds });
    printSoak(hub.mode, soak);
  }

  console.log(`\nWebhooks: ${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.seconds} s, a new signed order.created per request.`);
  const webhooks = await webhookPhase(hub, webhookSecret, settings);
  printWebhookTable(webhooks, database);

  const problems = [...failures(rows), ...(soak?.problems ?? []), ...webhooks.problems].map((p) => `${hub.mode}: ${p}`);
  return { mode: hub.mode, database, gateway: ours.summary, stock: stock.summary, cpu, direct: rows[2].summary, webhooks, rssMb: await hub.rss(), problems };
}

interface CpuPerRequest {
  /** Gateway process CPU ms per request. */
  gatewayMs: number;
  /** Subgraph processes' CPU ms per request. */
  subgraphsMs: number;
}

interface GatewayCpu {
  ours: CpuPerRequest;
  stock: CpuPerRequest;
  /** One process: our gateway shares its process with the subgraphs, so its share is derived (see gatewayCpu). */
  derived: boolean;
}

/**
 * CPU per request of each gateway and of the subgraphs behind it. In services mode every
 * figure is one process's own. In one process our gateway and the subgraphs share the hub's
 * process: the subgraphs' share is what the hub's process used per request while the stock
 * gateway drove it (same requests, same subgraph work), and our gateway's share is the hub's
 * process per request during our rounds less that.
 */
function gatewayCpu(hub: BenchTarget, ours: GatewayRounds, stock: GatewayRounds): GatewayCpu {
  const stockCpu = { gatewayMs: msPerRequest(stock.gatewayCpuSeconds, stock.summary.requests), subgraphsMs: msPerRequest(stock.subgraphCpuSeconds, stock.summary.requests) };
  const derived = hub.subgraphPids.includes(hub.gatewayPid);
  if (!derived) {
    return { ours: { gatewayMs: msPerRequest(ours.gatewayCpuSeconds, ours.summary.requests), subgraphsMs: msPerRequest(ours.subgraphCpuSeconds, ours.summary.requests) }, stock: stockCpu, derived };
  }
  const hubMs = msPerRequest(ours.gatewayCpuSeconds, ours.summary.requests);
  return { ours: { gatewayMs: hubMs - stockCpu.subgraphsMs, subgraphsMs: stockCpu.subgraphsMs }, stock: stockCpu, derived };
}

function printCpu(cpu: GatewayCpu): void {
  const header = ["CPU ms per request", "gateway", "subgraphs", "total"];
  const line = (name: string, c: CpuPerRequest) => [name, c.gatewayMs.toFixed(2), c.subgraphsMs.toFixed(2), (c.gatewayMs + c.subgraphsMs).toFixed(2)];
  printAligned(header, [line(cpu.derived ? "our gateway (derived)" : "our gateway", cpu.ours), line("stock @apollo/gateway", cpu.stock)]);
  if (cpu.derived) {
    // Our gateway's catalog cache spares the products subgraph work in our rounds only, so
    // taking the stock rounds' subgraph share off makes our gateway look cheaper than it is.
    console.log("(one process: the hub's process per request in our rounds, less the subgraphs' share measured in the stock rounds; this understates our gateway by the products fetches its catalog cache saves, so the services-mode figures are the ones to read)");
  }
}

/** Both modes side by side: the figures the issue asks for, from this run. */
function printComparison(results: ModeResult[]): void {
  console.log(`\n==== Modes compared (${settings.orders} orders, ${settings.connections} connections, ${settings.seconds} s per run) ====`);
  const header = ["mode", "db", "gw req/s", "gw p50", "gw p99", "stock req/s", "stock p50", "stock p99", "ours ÷ stock", "gw CPU ÷ stock", "orders req/s", "orders p50", "orders p99", "ratio", "webhook ev/s", "ms/event", "plain INSERT ms", "event ÷ INSERT"];
  const lines = results.map((r) => {
    const eventMs = 1000 / r.webhooks.summary.rps;
    const plain = r.webhooks.plain[0];
    const plainMs = plain ? plain.meanUs / 1000 : NaN;
    return [
      r.mode,
      r.database,
      r.gateway.rps.toFixed(1),
      r.gateway.p50.toFixed(1),
      r.gateway.p99.toFixed(1),
      r.stock.rps.toFixed(1),
      r.stock.p50.toFixed(1),
      r.stock.p99.toFixed(1),
      (r.gateway.rps / r.stock.rps).toFixed(2),
      (r.cpu.ours.gatewayMs / r.cpu.stock.gatewayMs).toFixed(2),
      r.direct.rps.toFixed(1),
      r.direct.p50.toFixed(1),
      r.direct.p99.toFixed(1),
      (r.gateway.rps / r.direct.rps).toFixed(2),
      r.webhooks.summary.rps.toFixed(1),
      eventMs.toFixed(3),
      plainMs.toFixed(3),
      `${(eventMs / plainMs).toFixed(1)}×`,
    ];
  });
  printAligned(header, lines);
  console.log("(latencies in ms; stock = stock @apollo/gateway over the same subgraphs; gw CPU ÷ stock = gateway CPU per request, ours ÷ stock; ratio = gateway req/s ÷ orders-subgraph req/s; plain INSERT = sequential single-row INSERT on the same database)");
  for (const r of results) console.log(`RSS after the run, ${r.mode}: ${formatRss(r.rssMb)}.`);
}

/**
 * Identity resolution rate, through the real resolution path on the customers
 * database, for each size in BENCH_IDENTITIES (default "10000"; e.g. "10000,100000").
 */
async function identityPhase(): Promise<void> {
  const sizes = (process.env.BENCH_IDENTITIES ?? "10000").split(",").map(Number).filter((n) => n > 0);
  for (const identities of sizes) {
    const r = await evaluate({ people: Math.round(identities * 0.3), identities, examples: 0, timeLimitMs: Number(process.env.BENCH_IDENTITY_SECONDS ?? 600) * 1000 });
    console.log(
      `identity resolution, ${identities} identities: ${r.identitiesPerSecond.toFixed(1)} identities/s ` +
        `(resolved ${r.identitiesResolved}), pairwise precision ${r.precision}, recall ${r.recall}, F1 ${r.f1}`,
    );
  }
}

/** The two lines the run ends with: from services mode (as production runs), or from one process when only that ran. */
function printHeadline(results: ModeResult[]): void {
  const r = results.find((m) => m.mode === "services") ?? results[0];
  if (!r) return;
  console.log(`\n==== ${r.mode}${r.mode === "services" ? "" : " (services mode did not run)"} ====`);
  console.log(`ours ÷ stock @apollo/gateway req/s = ${(r.gateway.rps / r.stock.rps).toFixed(2)}`);
  console.log(`hub ÷ orders subgraph alone req/s = ${(r.gateway.rps / r.direct.rps).toFixed(2)}`);
}

async function main(): Promise<boolean> {
  // The one-process hub runs in this process, as `npm start` would set it up; the services set it themselves.
  applyHeapGrowth(process.env);
  // Our own secret, so we can sign requests to the subgraph the way the gateway does.
  const secret = randomBytes(32).toString("base64url");
  // And the web channel's webhook secret, so we can sign deliveries the way the store does.
  const webhookSecret = `whsec_${randomBytes(32).toString("base64")}`;
  const secrets = { internalSecret: secret, webhookSecret, env: {
      LOG_LEVEL: settings.logLevel,
      ...(settings.serviceNodeOptions ? { NODE_OPTIONS: settings.serviceNodeOptions } : {}),
      ...(process.env.HEAP_GROWTH_PERCENT ? { HEAP_GROWTH_PERCENT: process.env.HEAP_GROWTH_PERCENT } : {}),
    },
  };
  let modes = settings.modes;
  if (modes.includes("services") && !process.env.MYSQL_URL) {
    if (process.env.BENCH_MODE === "services") throw new Error("BENCH_MODE=services runs on MariaDB: set MYSQL_URL (e.g. mysql://root@127.0.0.1:3306).");
    console.log("Services mode skipped: it runs on MariaDB and NATS; set MYSQL_URL to run both modes on the same database.");
    modes = modes.filter((m) => m !== "services");
  }
  const results: ModeResult[] = [];
  for (const mode of modes) {
    console.log(`\n==== ${mode} ====`);
    const hub = mode === "services" ? await servicesTarget(secrets) : await oneProcessTarget(secrets);
    try {
      results.push(await benchmark(hub, secret, webhookSecret));
    } finally {
      await hub.stop();
    }
  }
  if (results.length > 1) printComparison(results);
  await identityPhase();
  const problems = results.flatMap((r) => r.problems);
  for (const p of problems) console.error(`FAILED ${p}`);
  printHeadline(results);
  return problems.length === 0;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    console.error("Benchmark failed:", err);
    process.exit(1);
  },
);

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startHub } from "../gateway/hub";
import { v7 as uuidv7 } from "uuid";
import { ServiceConsumer } from "../subgraphs/kernel/delivery";
import { createLogger, logLevel } from "../subgraphs/kernel/logging";
import { createProduct, orderInput } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";
import { connect } from "node:net";
import { sample, scrape } from "./support/metrics";
import { buildServices, eventually, startServiceHub, type ServiceHub } from "./support/services";

/**
 * The JSON log lines of real requests through the gateway, captured from the hub's
 * logger: one per request on each service it touched, sharing the gateway's request id,
 * and none holding a personal value of the request.
 */
const lines: Array<Record<string, any>> = [];
const raw: string[] = [];
const capture = {
  write(chunk: string) {
    for (const line of chunk.split("\n").filter(Boolean)) {
      raw.push(line);
      lines.push(JSON.parse(line));
    }
  },
};

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ LOG_LEVEL: "info" }, { logDestination: capture });
  await createProduct(hub, "LOG-1", [{ channel: "WEB", channelSkuId: "SKU-A" }]);
}, 60_000);
afterAll(() => hub?.stop());

async function post(query: string, variables: Record<string, unknown>, token: string, operationName?: string, requestId?: string) {
  const res = await fetch(hub.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...(requestId !== undefined ? { "x-request-id": requestId } : {}) },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return { status: res.status, requestId: res.headers.get("x-request-id"), body: (await res.json()) as any };
}

const PERSONAL = {
  name: "柳如烟",
  phone: "13912345678",
  detail: "望京街道阜通东大街6号",
  channelCustomerId: "web-log-buyer-77",
};

test("a request through the gateway is one line per service with the same request id, and no personal value in any line", async () => {
  const input = orderInput({
    buyer: { channelCustomerId: PERSONAL.channelCustomerId, name: PERSONAL.name, phone: PERSONAL.phone },
    shippingAddress: { province: "北京市", city: "北京市", district: "朝阳区", detail: PERSONAL.detail },
  });
  const ingested = await post("mutation Ingest($i: IngestOrderInput!) { ingestOrder(input: $i) { id } }", { i: input }, hub.channel, "Ingest");
  expect(ingested.body.errors).toBeUndefined();
  await hub.settle();
  const read = await post(
    "query ReadOrder($id: ID!) { order(id: $id) { id buyerChannelCustomerId shippingAddress { detail } customer { id displayName phone } } }",
    { id: ingested.body.data.ingestOrder.id },
    hub.admin,
    "ReadOrder",
  );
  expect(read.body.errors).toBeUndefined();
  expect(JSON.stringify(read.body)).toContain(PERSONAL.detail); // the answer has it; the logs must not

  for (const r of [ingested, read]) {
    expect(r.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const mine = lines.filter((l) => l.requestId === r.requestId && l.msg === "request");
    const gateway = mine.find((l) => l.service === "gateway");
    expect(gateway).toMatchObject({ level: "info", route: "graphql", status: 200, outcome: "ok" });
    expect(typeof gateway!.durationMs).toBe("number");
    expect(new Date(gateway!.time).toISOString()).toBe(gateway!.time);
    // The subgraph's own line of the same request: the gateway passed its id on.
    expect(mine.find((l) => l.service === "orders")).toMatchObject({ route: "graphql", status: 200, outcome: "ok", operation: expect.stringMatching(/^(Ingest|ReadOrder)/) });
  }
  const readLines = lines.filter((l) => l.requestId === read.requestId && l.msg === "request");
  expect(readLines.find((l) => l.service === "gateway")).toMatchObject({ operation: "ReadOrder", roles: ["admin"] });
  // The read also reached customers (Order.customer), under the same id.
  expect(readLines.map((l) => l.service)).toEqual(expect.arrayContaining(["gateway", "orders", "customers"]));

  // The order's events were consumed, each a line of its own.
  expect(lines.filter((l) => l.msg === "event" && l.service === "customers" && l.type === "order.created" && l.outcome === "handled").length).toBeGreaterThanOrEqual(1);

  const everything = raw.join("\n");
  for (const value of [...Object.values(PERSONAL), hub.channel, hub.admin, hub.admin.split(".")[1], "test:admin", "test:channel:WEB"]) {
    expect(everything).not.toContain(value);
  }
  for (const l of lines) expect(l).not.toHaveProperty("sub");
});

test("a sane incoming x-request-id is kept and returned; anything else is replaced", async () => {
  const q = "query Ping { __typename }";
  const kept = await post(q, {}, hub.admin, "Ping", "lb-7f3a9c01-edge");
  expect(kept.requestId).toBe("lb-7f3a9c01-edge");
  expect(lines.some((l) => l.requestId === "lb-7f3a9c01-edge" && l.service === "gateway")).toBe(true);
  for (const bad of ["x".repeat(200), "13912345678 liu ruyan", "short"]) {
    const replaced = await post(q, {}, hub.admin, "Ping", bad);
    expect(replaced.requestId).toMatch(/^[0-9a-f-]{36}$/);
  }
  expect(raw.join("\n")).not.toContain("liu ruyan");
});

test("a refused request is logged with its status and code, and without the token it carried", async () => {
  const forged = `${hub.admin.slice(0, -4)}AAAA`;
  const r = await post("query Ping { __typename }", {}, forged, "Ping");
  expect(r.status).toBe(401);
  const line = lines.find((l) => l.requestId === r.requestId);
  expect(line).toMatchObject({ service: "gateway", status: 401, outcome: "UNAUTHENTICATED" });
  expect(raw.join("\n")).not.toContain(forged.split(".")[2]);
});

test("an event that fails with a driver message quoting a phone is logged as JSON, through the logger, with the value redacted", async () => {
  const phone = "13800138000";
  const orders = hub.subgraphs.orders;
  const failing = new ServiceConsumer(orders.ds, "orders", [{
    consumer: "orders.log-redaction-test",
    types: ["order.created"],
    apply: async () => {
      throw Object.assign(new Error(`Duplicate entry '${phone}' for key 'customers.phone'`), { code: "ER_DUP_ENTRY", errno: 1062 });
    },
  }], orders.relay);
  const id = uuidv7();
  const now = new Date().toISOString();
  const stdout = jest.spyOn(console, "warn");
  try {
    await failing.deliver({ id, aggregateId: "gid://orderhub/Order/424242", sequence: 1, type: "order.created", occurredAt: now, recordedAt: now, source: "test", actor: null, payload: {} });
    expect(stdout).not.toHaveBeenCalled();
  } finally {
    stdout.mockRestore();
  }
  const line = lines.find((l) => l.eventId === id && l.component === "delivery");
  expect(line).toMatchObject({ level: "warn", consumer: "orders.log-redaction-test", err: { type: "Error", code: "ER_DUP_ENTRY", message: expect.stringContaining("Duplicate entry") } });
  expect(raw.join("\n")).not.toContain(phone);
});

test("at debug the stack is logged redacted too, and a thrown string or object is redacted like an error message", () => {
  const out: string[] = [];
  const logger = createLogger({ LOG_LEVEL: "debug" }, { write: (chunk: string) => void out.push(chunk) });
  logger.error({ err: new Error("Duplicate entry '13912345678' for key 'phone'") }, "failed");
  logger.error({ err: "Duplicate entry '13912345678' for key 'phone'" }, "failed");
  logger.error({ err: { message: "Incorrect value \"liu ruyan\" 13912345678" } }, "failed");
  const parsed = out.map((l) => JSON.parse(l));
  expect(parsed).toHaveLength(3);
  expect(parsed[0].err.stack).toMatch(/^Error: Duplicate entry '…' for key '…'\n\s+at /);
  expect(parsed[1].err.message).toBe("Duplicate entry '…' for key '…'");
  expect(parsed[2].err.message).toBe("Incorrect value '…' …");
  for (const l of out) {
    expect(l).not.toContain("13912345678");
    expect(l).not.toContain("liu ruyan");
  }
});

test("an internal error through the gateway is one gateway error line under the request id the client got back", async () => {
  const ds = hub.subgraphs.products.ds;
  await ds.query("ALTER TABLE products RENAME TO products_away");
  let r: Awaited<ReturnType<typeof post>>;
  try {
    r = await post("query BrokenProducts { products(first: 1) { edges { cursor } } }", {}, hub.admin, "BrokenProducts");
  } finally {
    await ds.query("ALTER TABLE products_away RENAME TO products");
  }
  expect(r.body.errors[0]).toMatchObject({ message: "Internal error; it has been logged.", extensions: { code: "INTERNAL_SERVER_ERROR" } });
  const errors = lines.filter((l) => l.requestId === r.requestId && l.level === "error");
  expect(errors.filter((l) => l.service === "gateway")).toEqual([expect.objectContaining({ msg: "internal error", err: expect.objectContaining({ message: expect.any(String) }) })]);
  // The subgraph that failed logged its own line of the same request, with the cause.
  expect(errors.filter((l) => l.service === "products")).toHaveLength(1);
});

test("a subgraph fetch that fails is logged by the gateway, with the subgraph and the request id (stops after-sales)", async () => {
  await hub.subgraphs.aftersales.stop();
  const r = await post("query Cases { afterSalesCases(first: 1) { edges { node { id } } } }", {}, hub.admin, "Cases");
  expect(r.body.errors[0].extensions.code).toBe("SERVICE_UNAVAILABLE");
  expect(lines.filter((l) => l.requestId === r.requestId && l.service === "gateway" && l.msg === "subgraph fetch failed")).toEqual([
    expect.objectContaining({ level: "warn", subgraph: "aftersales", err: expect.objectContaining({ message: expect.any(String) }) }),
  ]);
});

test("LOG_LEVEL is validated at start-up, naming the variable", async () => {
  expect(logLevel({ LOG_LEVEL: "silent" })).toBe("silent");
  expect(logLevel({})).toBe("info");
  const dataDir = mkdtempSync(path.join(tmpdir(), "orderhub-log-"));
  try {
    await expect(startHub({ env: { DATA_DIR: dataDir, NODE_ENV: "test", LOG_LEVEL: "loud" }, ephemeralPorts: true })).rejects.toThrow(/LOG_LEVEL="loud"/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// Each service its own process (MariaDB + NATS): the id crosses process boundaries, and every process serves its own /metrics.
(process.env.MYSQL_URL ? describe : describe.skip)("services as separate processes", () => {
  let services: ServiceHub | undefined;
  beforeAll(async () => {
    buildServices();
    services = await startServiceHub({ env: { LOG_LEVEL: "info" } });
  }, 180_000);
  afterAll(() => services?.stop());

  test("the gateway's request id is in the orders process's line of that request, and each process shows its own metrics", async () => {
    const hub = services!;
    const token = await hub.token(["admin"]);
    const res = await fetch(hub.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-request-id": "svc-test-0001" },
      body: JSON.stringify({ query: "query AcrossProcesses { orders(first: 1) { edges { node { id } } } }" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("svc-test-0001");
    const linesOf = (name: "gateway" | "orders") =>
      hub.services[name].output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, any>);
    const gatewayLine = await eventually(async () => linesOf("gateway").find((l) => l.requestId === "svc-test-0001"), "the gateway's line");
    expect(gatewayLine).toMatchObject({ service: "gateway", operation: "AcrossProcesses", status: 200, outcome: "ok" });
    const ordersLine = await eventually(async () => linesOf("orders").find((l) => l.requestId === "svc-test-0001"), "the orders line");
    expect(ordersLine).toMatchObject({ service: "orders", route: "graphql", status: 200, pid: hub.services.orders.pid });
    expect(hub.services.gateway.output()).not.toContain(token);

    const orders = await scrape(hub.services.orders.base);
    expect(sample(orders.samples, "orderhub_graphql_requests_total", { service: "orders", operation: "AcrossProcesses__orders__0", outcome: "ok" })).toBe(1);
    expect(sample(orders.samples, "orderhub_process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(sample(orders.samples, "orderhub_consumer_lag_events")).toBeGreaterThanOrEqual(0);
  });
});

test("a client that goes away in the middle of its request is logged as such, not as an error", async () => {
  const before = lines.length;
  const { hostname, port } = new URL(hub.url);
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      // Half of the body it announced, then gone.
      socket.write("POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":");
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 100);
    });
    socket.on("error", reject);
  });
  let gone: Record<string, any> | undefined;
  for (let i = 0; i < 50 && !gone; i++) {
    await new Promise((r) => setTimeout(r, 20));
    gone = lines.slice(before).find((l) => l.msg === "client went away before the answer");
  }
  expect(gone).toMatchObject({ level: "info", service: "gateway" });
  expect(lines.slice(before).filter((l) => l.level === "error" || l.level === "fatal")).toEqual([]);
});

import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import fc from "fast-check";
import { loadOrCreateDemoKeys, demoEnv } from "../gateway/demo-keys";
import { gatewayConfig } from "../gateway/config";
import { formatGatewayError, startGateway, type RunningGateway } from "../gateway/server";
import { ERROR_CODES } from "../subgraphs/kernel/error-codes";
import { projectRoot } from "../subgraphs/kernel/project-root";
import { createProduct, customerOf, customerToken, ingest, orderInput, sendWebhook, unique } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

/** The numbers the issue fixed for integrators; nothing else may appear. */
const ALLOWED = [4001, 4002, 4003, 4004, 4009, 4013, 4029, 5000, 5003];

// ------------------------------------------------------------------ the table and its documentation

test("docs/errors.md lists exactly the codes of the table, with the same errorCode and HTTP status", () => {
  const doc = readFileSync(path.join(projectRoot(), "docs", "errors.md"), "utf8");
  const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d+) \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
  const table = Object.entries(ERROR_CODES).map(([code, v]) => [code, v.errorCode, v.status]);
  expect(rows.sort()).toEqual(table.sort());
  expect(new Set(rows.map((r) => r[0])).size).toBe(rows.length);
});

test("every errorCode is one of the documented numbers, and each number is used", () => {
  expect([...new Set(Object.values(ERROR_CODES).map((v) => v.errorCode))].sort()).toEqual(ALLOWED);
});

test("whatever error reaches the gateway, it leaves with a code from the table and that code's errorCode", () => {
  const codes = fc.oneof(fc.constantFrom(...Object.keys(ERROR_CODES), "DOWNSTREAM_SERVICE_ERROR", "SOMETHING_ELSE"), fc.string(), fc.constant(undefined));
  fc.assert(
    fc.property(codes, fc.string(), fc.option(fc.constantFrom("orders", "customers")), (code, message, serviceName) => {
      const out = formatGatewayError({ message, extensions: { code, ...(serviceName ? { serviceName } : {}) } });
      const leaving = out.extensions!.code as keyof typeof ERROR_CODES;
      expect(Object.keys(ERROR_CODES)).toContain(leaving);
      expect(out.extensions!.errorCode).toBe(ERROR_CODES[leaving].errorCode);
    }),
  );
});

test("a subgraph's mutation whose commit outcome is unknown keeps that through the gateway, naming the service", () => {
  const out = formatGatewayError({ message: "anything", extensions: { code: "SERVICE_UNAVAILABLE", outcome: "UNKNOWN", serviceName: "orders" } });
  expect(out.extensions).toEqual({ code: "SERVICE_UNAVAILABLE", errorCode: 5003, outcome: "UNKNOWN", service: "orders" });
  expect(out.message).toMatch(/may or may not have been made/);
  // A plain outage stays "retry later".
  expect(formatGatewayError({ message: "x", extensions: { code: "SERVICE_UNAVAILABLE", serviceName: "orders" } }).extensions).not.toHaveProperty("outcome");
});

// ------------------------------------------------------------------ through the gateway

let hub: TestHub;
let base: string;
let orderId: string;
let shopper: string;

beforeAll(async () => {
  hub = await startTestHub({ MAX_BODY_BYTES: "65536" });
  base = hub.url.replace(/\/graphql$/, "");
  await createProduct(hub, "ERR-1", [{ channel: "WEB", channelSkuId: "ERR-SKU" }]);
  const order = await ingest(hub, orderInput({ status: "PENDING_PAYMENT", lines: [{ channelSkuId: "ERR-SKU", title: "杯", quantity: 1, unitPrice: "10.00", discount: "0.00" }] }));
  orderId = order.id;
  shopper = await customerToken(hub, await customerOf(hub, order.id));
}, 60_000);
afterAll(() => hub?.stop());

interface Answer {
  status: number;
  body: any;
}

async function post(body: string, token?: string, url = hub.url): Promise<Answer> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });
  return { status: res.status, body: await res.json() };
}

const gql = (query: string, variables: Record<string, unknown> = {}, token?: string) => post(JSON.stringify({ query, variables }), token);

function expectError(answer: Answer, status: number, code: string, errorCode: number) {
  expect(answer.status).toBe(status);
  expect(answer.body.errors?.length).toBeGreaterThan(0);
  for (const e of answer.body.errors) expect(e.extensions).toMatchObject({ code, errorCode });
  expect(JSON.stringify(answer.body)).not.toMatch(/127\.0\.0\.1|SELECT |stacktrace/i);
}

const webEvent = (channelOrderId: string, type: string, extra: Record<string, unknown> = {}) => ({
  eventId: unique("evt"),
  type,
  occurredAt: "2026-11-20T04:00:00Z",
  order: { channelOrderId },
  ...extra,
});

const CASES: Array<[string, () => Promise<Answer>, number, string, number]> = [
  ["an invalid argument", () => gql('{ order(id: "nope") { id } }', {}, hub.admin), 200, "BAD_USER_INPUT", 4001],
  ["a variable of the wrong type", () => gql("query($n: Int) { orders(first: $n) { edges { cursor } } }", { n: "five" }, hub.admin), 400, "BAD_USER_INPUT", 4001],
  ["a page size out of range", () => gql("{ orders(last: 1000) { edges { cursor } } }", {}, hub.admin), 200, "BAD_USER_INPUT", 4001],
  ["an operation that does not parse", () => gql("{ orders {", {}, hub.admin), 400, "GRAPHQL_PARSE_FAILED", 4001],
  ["an unknown field (validation failure)", () => gql("{ orders { nope } }", {}, hub.admin), 400, "GRAPHQL_VALIDATION_FAILED", 4001],
  ["a body that is not JSON", () => post("{ not json", hub.admin), 400, "BAD_REQUEST", 4001],
  ["a body without a query", () => post("{}", hub.admin), 400, "BAD_REQUEST", 4001],
  ["an operationName the document lacks", () => post(JSON.stringify({ query: "query A { __typename }", operationName: "B" }), hub.admin), 400, "OPERATION_RESOLUTION_FAILURE", 4001],
  ["several operations and no operationName", () => post(JSON.stringify({ query: "query A { __typename } query C { __typename }" }), hub.admin), 400, "OPERATION_RESOLUTION_FAILURE", 4001],
  [
    "an unknown persisted query",
    () => post(JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: "a".repeat(64) } } }), hub.admin),
    200,
    "PERSISTED_QUERY_NOT_FOUND",
    4004,
  ],
  ["no token where one is needed", () => gql("{ orders { edges { cursor } } }"), 200, "UNAUTHENTICATED", 4002],
  ["an invalid token", () => gql("{ orders { edges { cursor } } }", {}, "not-a-jwt"), 401, "UNAUTHENTICATED", 4002],
  ["a role that may not do it", () => gql("{ orderExceptions { edges { cursor } } }", {}, shopper), 200, "FORBIDDEN", 4003],
  ["a record that does not exist", () => gql('mutation { dismissMatchCandidate(id: "gid://orderhub/CustomerMatchCandidate/999999") { id } }', {}, hub.admin), 200, "NOT_FOUND", 4004],
  ["an unknown path", async () => { const r = await fetch(`${base}/nope`); return { status: r.status, body: await r.json() }; }, 404, "NOT_FOUND", 4004],
  ["a status move the lifecycle refuses", () => gql("mutation($id: ID!) { transitionOrder(id: $id, to: DELIVERED) { id } }", { id: orderId }, hub.admin), 200, "CONFLICT", 4009],
  ["a body that is too large", () => post(JSON.stringify({ query: `{ products(search: "${"x".repeat(70_000)}") { edges { cursor } } }` }), hub.admin), 413, "PAYLOAD_TOO_LARGE", 4013],
  ["a webhook with a bad signature", () => sendWebhook(hub, "web", webEvent("W-x", "order.paid"), { secret: `whsec_${Buffer.from("another-secret-of-32-bytes-length").toString("base64")}` }), 401, "UNAUTHENTICATED", 4002],
  ["a webhook for an unknown channel", () => sendWebhook(hub, "amazon", webEvent("W-x", "order.paid")), 404, "NOT_FOUND", 4004],
  ["a webhook that is not a POST", async () => { const r = await fetch(`${base}/webhooks/web`); return { status: r.status, body: await r.json() }; }, 405, "METHOD_NOT_ALLOWED", 4001],
  ["a signed webhook body that is not JSON (the orders service answers)", () => sendWebhook(hub, "web", null, { body: "{ not json" }), 400, "BAD_REQUEST", 4001],
  ["a signed webhook payload that is invalid (the orders service answers)", () => sendWebhook(hub, "web", { eventId: unique("evt"), type: "order.teleported" }), 400, "BAD_USER_INPUT", 4001],
  ["a webhook too large", () => sendWebhook(hub, "web", webEvent("W-x", "order.paid", { pad: "x".repeat(70_000) })), 413, "PAYLOAD_TOO_LARGE", 4013],
];

describe("every refusal carries its code and errorCode", () => {
  test.each(CASES.map(([name, run, status, code, errorCode]) => ({ name, run, status, code, errorCode })))(
    "$name: HTTP $status, $code, $errorCode",
    async ({ run, status, code, errorCode }) => {
      expectError(await run(), status, code, errorCode);
    },
  );

  test("a webhook event the lifecycle refuses: 409 CONFLICT, 4009, with from and to", async () => {
    const { channelOrderId } = orderInput();
    await ingest(hub, orderInput({ channelOrderId, status: "PENDING_PAYMENT" }));
    expect((await sendWebhook(hub, "web", webEvent(channelOrderId as string, "order.cancelled"))).status).toBe(200);
    const r = await sendWebhook(hub, "web", webEvent(channelOrderId as string, "order.paid", { payment: {} }));
    expectError(r, 409, "CONFLICT", 4009);
    expect(r.body.errors[0].extensions).toMatchObject({ from: "CANCELLED", to: "PAID" });
  });

  test("a channel without a webhook secret: 503 CHANNEL_DISABLED, 5003", async () => {
    const keys = await loadOrCreateDemoKeys(hub.dataDir);
    const urls = Object.fromEntries(Object.entries(hub.subgraphs).map(([n, s]) => [`${n.toUpperCase()}_URL`, s.url]));
    // A second gateway in front of the same subgraphs, with no webhook secrets at all.
    let bare: RunningGateway | undefined;
    try {
      bare = await startGateway(gatewayConfig({ ...demoEnv(keys), ...urls, PORT: "0", LOG_LEVEL: process.env.LOG_LEVEL || "silent" }));
      const r = await fetch(bare.url.replace(/\/graphql$/, "/webhooks/pos"), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expectError({ status: r.status, body: await r.json() }, 503, "CHANNEL_DISABLED", 5003);
    } finally {
      await bare?.stop();
    }
  });

  test("a database that fails: INTERNAL_SERVER_ERROR, 5000, with nothing of the failure shown", async () => {
    const ds = hub.subgraphs.products.ds;
    await ds.query("ALTER TABLE products RENAME TO products_away");
    try {
      const r = await gql("{ products(first: 1) { edges { cursor } } }", {}, hub.admin);
      expectError(r, 200, "INTERNAL_SERVER_ERROR", 5000);
      expect(r.body.errors[0].message).toBe("Internal error; it has been logged.");
      expect(JSON.stringify(r.body)).not.toMatch(/products_away|table/i);
    } finally {
      await ds.query("ALTER TABLE products_away RENAME TO products");
    }
  });

  test("a subgraph that refuses the gateway's calls (another signing secret): SERVICE_UNAVAILABLE naming it, nothing internal shown", async () => {
    const keys = await loadOrCreateDemoKeys(hub.dataDir);
    const urls = Object.fromEntries(Object.entries(hub.subgraphs).map(([n, s]) => [`${n.toUpperCase()}_URL`, s.url]));
    let stranger: RunningGateway | undefined;
    try {
      stranger = await startGateway(gatewayConfig({ ...demoEnv(keys), ...urls, INTERNAL_SIGNING_SECRET: "z".repeat(40), PORT: "0", LOG_LEVEL: process.env.LOG_LEVEL || "silent" }));
      const r = await post(JSON.stringify({ query: "query($id: ID!) { order(id: $id) { id } }", variables: { id: orderId } }), hub.admin, stranger.url);
      expectError(r, 200, "SERVICE_UNAVAILABLE", 5003);
      expect(r.body.errors[0].extensions).toMatchObject({ service: "orders" });
      expect(r.body.errors[0].message).toBe("The orders service is unavailable; data from the other services is still returned.");
      // The caller's token was fine; the subgraph's address and its reason stay out of the answer.
      expect(JSON.stringify(r.body)).not.toMatch(/UNAUTHENTICATED|127\.0\.0\.1|Refused|signature|response/);
    } finally {
      await stranger?.stop();
    }
  });

  test("a subgraph that does not answer within SUBGRAPH_TIMEOUT_MS: SERVICE_UNAVAILABLE, 5003, naming it, with the other services' data", async () => {
    const keys = await loadOrCreateDemoKeys(hub.dataDir);
    const urls = Object.fromEntries(Object.entries(hub.subgraphs).map(([n, s]) => [`${n.toUpperCase()}_URL`, s.url]));
    // An aftersales that takes every request and never answers it.
    const hung: Server = createServer(() => {});
    await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
    let slow: RunningGateway | undefined;
    try {
      const hungUrl = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/graphql`;
      slow = await startGateway(gatewayConfig({ ...demoEnv(keys), ...urls, AFTERSALES_URL: hungUrl, SUBGRAPH_TIMEOUT_MS: "300", PORT: "0", LOG_LEVEL: process.env.LOG_LEVEL || "silent" }));
      const r = await post(JSON.stringify({ query: "query($id: ID!) { order(id: $id) { id afterSalesCases { id } } }", variables: { id: orderId } }), hub.admin, slow.url);
      expectError(r, 200, "SERVICE_UNAVAILABLE", 5003);
      expect(r.body.errors[0].extensions).toMatchObject({ service: "aftersales" });
      expect(r.body.errors[0].message).toBe("The aftersales service is unavailable; data from the other services is still returned.");
      expect(r.body.data.order.id).toBe(orderId);
      // A mutation that timed out may have been made: the client is told to read back, not to retry.
      const m = await post(
        JSON.stringify({
          query: "mutation($i: RequestAfterSalesInput!) { requestAfterSales(input: $i) { id } }",
          variables: { i: { orderId, type: "REFUND_ONLY", reason: "timeout probe", lines: [{ orderLineId: "gid://orderhub/OrderLine/1", quantity: 1 }] } },
        }),
        hub.admin,
        slow.url,
      );
      expect(m.body.errors[0].extensions).toMatchObject({ code: "SERVICE_UNAVAILABLE", outcome: "UNKNOWN", service: "aftersales" });
      expect(m.body.errors[0].message).toMatch(/may or may not have been made/);
    } finally {
      await slow?.stop();
      hung.closeAllConnections();
      await new Promise((resolve) => hung.close(resolve));
    }
  });

  test("a subgraph that is down: SERVICE_UNAVAILABLE, 5003, naming it, in GraphQL and behind a webhook; named in the gateway's /readyz", async () => {
    await hub.subgraphs.aftersales.stop();
    const partial = await gql("query($id: ID!) { order(id: $id) { id afterSalesCases { id } } }", { id: orderId }, hub.admin);
    expectError(partial, 200, "SERVICE_UNAVAILABLE", 5003);
    expect(partial.body.errors[0].extensions).toMatchObject({ service: "aftersales" });
    expect(partial.body.data.order.id).toBe(orderId);

    // The gateway stays ready (its own state) and names the subgraph that is down.
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ok", failing: ["aftersales: unreachable"] });

    await hub.subgraphs.orders.stop();
    expectError(await sendWebhook(hub, "web", webEvent("W-x", "order.paid")), 503, "SERVICE_UNAVAILABLE", 5003);
  });
});

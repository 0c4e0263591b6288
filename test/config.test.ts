import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gatewayConfig } from "../gateway/config";
import { loadOrCreateDemoKeys } from "../gateway/demo-keys";
import { hubEnvironment, startHub } from "../gateway/hub";
import { webhookVerifiers } from "../gateway/webhooks";
import { ConfigError, subgraphConfig } from "../subgraphs/kernel/config";
import { applyHeapGrowth } from "../subgraphs/kernel/heap";
import { parseSlaPolicy } from "../subgraphs/orders/sla";
import { channelZones } from "../subgraphs/orders/webhook-route";
import { startTestHub } from "./support/hub";

const base = { INTERNAL_SIGNING_SECRET: "s".repeat(32), JWT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----", JWT_ISSUER: "i", JWT_AUDIENCE: "a", PSEUDONYM_KEY: "p".repeat(32) };

test.each([
  ["PORT", { PORT: "http" }],
  ["MAX_BODY_BYTES", { MAX_BODY_BYTES: "-1" }],
  ["ORDERS_URL", { ORDERS_URL: "not a url" }],
  ["JWT_ALGORITHMS", { JWT_ALGORITHMS: "HS256" }],
  ["INTERNAL_SIGNING_SECRET", { INTERNAL_SIGNING_SECRET: "short" }],
  ["JWT_ISSUER", { JWT_ISSUER: "" }],
  ["MAX_QUERY_DEPTH", { MAX_QUERY_DEPTH: "2" }],
  ["MAX_QUERY_ALIASES", { MAX_QUERY_ALIASES: "many" }],
  ["HOST", { HOST: "0.0.0.0:4000" }],
  ["PRODUCT_CACHE_SECONDS", { PRODUCT_CACHE_SECONDS: "soon" }],
  ["PRODUCT_CACHE_SECONDS", { PRODUCT_CACHE_SECONDS: "-1" }],
])("a bad %s stops start-up with a message naming it", (name, override) => {
  expect(() => gatewayConfig({ ...base, ...override })).toThrow(ConfigError);
  expect(() => gatewayConfig({ ...base, ...override })).toThrow(name);
});

test.each([
  ["MYSQL_URL", { MYSQL_URL: "postgres://x" }],
  ["ORDERS_PORT", { ORDERS_PORT: "70000" }],
  ["DB_NAME_PREFIX", { DB_NAME_PREFIX: "drop table;" }],
  ["SUBGRAPH_HOST", { SUBGRAPH_HOST: "http://10.0.0.1" }],
  ["PSEUDONYM_KEY", { PSEUDONYM_KEY: "short" }],
  ["PSEUDONYM_KEY", { PSEUDONYM_KEY: "" }],
  ["OUTBOX_POLL_MS", { OUTBOX_POLL_MS: "soon" }],
  ["OUTBOX_LEASE_MS", { OUTBOX_LEASE_MS: "0" }],
  ["OUTBOX_LEASE_MS", { OUTBOX_LEASE_MS: "1000", OUTBOX_POLL_MS: "500" }],
  ["EVENT_MAX_DELIVERIES", { EVENT_MAX_DELIVERIES: "0" }],
  ["EVENT_MAX_DELIVERIES", { EVENT_MAX_DELIVERIES: "ten" }],
  ["EVENT_RETRY_BASE_MS", { EVENT_RETRY_BASE_MS: "-5" }],
  ["EVENT_RETRY_POLL_SECONDS", { EVENT_RETRY_POLL_SECONDS: "0" }],
  ["DB_POOL_SIZE", { DB_POOL_SIZE: "ten" }],
  ["DB_POOL_SIZE", { DB_POOL_SIZE: "1" }],
  ["SQL_LOG", { SQL_LOG: "yes please" }],
])("a bad %s stops a subgraph with a message naming it", (name, override) => {
  expect(() => subgraphConfig("orders", { ...base, ...override })).toThrow(name);
});

test.each(["lots", "-1", "301"])("a HEAP_GROWTH_PERCENT of %s stops start-up with a message naming it", (value) => {
  expect(() => applyHeapGrowth({ HEAP_GROWTH_PERCENT: value })).toThrow(ConfigError);
  expect(() => applyHeapGrowth({ HEAP_GROWTH_PERCENT: value })).toThrow("HEAP_GROWTH_PERCENT");
});

test("HEAP_GROWTH_PERCENT is 50 unless set, and 0 leaves the heap to V8", () => {
  expect(applyHeapGrowth({})).toBe(50);
  expect(applyHeapGrowth({ HEAP_GROWTH_PERCENT: "0" })).toBe(0);
});

test("in production the gateway takes no default subgraph address: each *_URL missing is named", () => {
  const urls = { ORDERS_URL: "http://orders:4001/graphql", CUSTOMERS_URL: "http://customers:4002/graphql", PRODUCTS_URL: "http://products:4003/graphql", AFTERSALES_URL: "http://aftersales:4004/graphql" };
  expect(gatewayConfig({ ...base, NODE_ENV: "production", ...urls }).subgraphUrls.products).toBe(urls.PRODUCTS_URL);
  for (const variable of Object.keys(urls)) {
    expect(() => gatewayConfig({ ...base, NODE_ENV: "production", ...urls, [variable]: "" })).toThrow(`${variable} is required with NODE_ENV=production`);
  }
  // Outside production the local defaults fill in.
  expect(gatewayConfig(base).subgraphUrls.orders).toBe("http://127.0.0.1:4001/graphql");
});

test("production refuses to start without real key configuration", async () => {
  const env = { NODE_ENV: "production", DATA_DIR: "/nonexistent", JWT_PUBLIC_KEY: "", JWT_JWKS_URL: "", INTERNAL_SIGNING_SECRET: "" };
  await expect(startHub({ env, ephemeralPorts: true })).rejects.toThrow(/INTERNAL_SIGNING_SECRET|JWT_PUBLIC_KEY/);
});

test("HOST opens the gateway only: the subgraphs stay on SUBGRAPH_HOST, 127.0.0.1 unless set", async () => {
  expect(subgraphConfig("orders", { ...base, HOST: "0.0.0.0" }).host).toBe("127.0.0.1");
  expect(subgraphConfig("orders", { ...base, SUBGRAPH_HOST: "10.1.2.3" }).host).toBe("10.1.2.3");
  const hub = await startTestHub({ HOST: "0.0.0.0" });
  try {
    expect(new URL(hub.url).hostname).toBe("0.0.0.0");
    // Each subgraph reports the address it is bound to; the gateway calls them there.
    expect(Object.values(hub.subgraphs).map((s) => new URL(s.url).hostname)).toEqual(["127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1"]);
    expect(await hub.ok("{ orders(first: 1) { edges { cursor } } }")).toEqual({ orders: { edges: [] } });
  } finally {
    await hub.stop();
  }
});

describe("demo keys and demo webhook secrets are for development only", () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(path.join(tmpdir(), "orderhub-config-"))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));
  const unset = { JWT_PUBLIC_KEY: undefined, JWT_JWKS_URL: undefined, INTERNAL_SIGNING_SECRET: undefined, WEBHOOK_SECRET_JD: undefined };

  test.each([["unset", undefined], ["empty", ""], ["development", "development"], ["test", "test"]])("NODE_ENV %s: demo keys and secrets fill in", async (_label, NODE_ENV) => {
    const { env, mintToken } = await hubEnvironment({ ...unset, NODE_ENV, DATA_DIR: dataDir });
    expect(mintToken).toBeDefined();
    expect(env.INTERNAL_SIGNING_SECRET).toHaveLength(43);
    expect(env.WEBHOOK_SECRET_JD).toMatch(/^whsec_/);
    expect(() => gatewayConfig(env)).not.toThrow();
  });

  test.each(["production", "staging", "prod", "Production", " test", "dev"])("NODE_ENV=%s: nothing is filled in, and start-up stops naming the missing variable", async (NODE_ENV) => {
    const { env, mintToken } = await hubEnvironment({ ...unset, NODE_ENV, DATA_DIR: dataDir });
    expect(mintToken).toBeUndefined();
    expect(env.INTERNAL_SIGNING_SECRET).toBeUndefined();
    expect(env.WEBHOOK_SECRET_JD).toBeUndefined();
    expect(readdirSync(dataDir)).toEqual([]); // no demo key or secret file written either
    await expect(startHub({ env: { ...unset, NODE_ENV, DATA_DIR: dataDir }, ephemeralPorts: true })).rejects.toThrow("INTERNAL_SIGNING_SECRET is required but not set.");
    await expect(startHub({ env: { ...unset, NODE_ENV, DATA_DIR: dataDir, INTERNAL_SIGNING_SECRET: "s".repeat(32), PSEUDONYM_KEY: "p".repeat(32) }, ephemeralPorts: true })).rejects.toThrow(/Set JWT_PUBLIC_KEY/);
    expect(() => webhookVerifiers({ NODE_ENV, WEBHOOK_SECRET_JD: `whsec_${Buffer.from("test_" + "k".repeat(27)).toString("base64")}` }, () => {})).toThrow(/WEBHOOK_SECRET_JD is a test key/);
    for (const DEMO_DATA of ["true", "1", "yes", "ON"]) {
      await expect(hubEnvironment({ ...unset, NODE_ENV, DATA_DIR: dataDir, DEMO_DATA })).rejects.toThrow(`DEMO_DATA=true is not allowed with NODE_ENV=${NODE_ENV}`);
    }
  });
});

test("production refuses to start without a pseudonym key", async () => {
  const env = { ...base, NODE_ENV: "production", DATA_DIR: "/nonexistent", PSEUDONYM_KEY: "" };
  await expect(startHub({ env, ephemeralPorts: true })).rejects.toThrow(/PSEUDONYM_KEY/);
});

test("outside production the pseudonym key is generated once and kept, also for a data folder from before pseudonyms", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "orderhub-keys-"));
  try {
    const first = await loadOrCreateDemoKeys(dir);
    expect(first.pseudonymKey.length).toBeGreaterThanOrEqual(32);
    expect((await loadOrCreateDemoKeys(dir)).pseudonymKey).toBe(first.pseudonymKey);
    const { pseudonymKey: _dropped, ...old } = first;
    writeFileSync(path.join(dir, "demo-keys.json"), JSON.stringify(old));
    const upgraded = await loadOrCreateDemoKeys(dir);
    expect(upgraded).toMatchObject({ internalSecret: first.internalSecret, publicPem: first.publicPem });
    expect((await loadOrCreateDemoKeys(dir)).pseudonymKey).toBe(upgraded.pseudonymKey);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("several services starting at once in a fresh data folder all get the same demo keys, and no temporary file is left", async () => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), "orderhub-keys-")), "data");
  try {
    // Four loads at once: each generates a key pair (asynchronously) before it writes.
    const loaded = await Promise.all(Array.from({ length: 4 }, () => loadOrCreateDemoKeys(dir)));
    expect(new Set(loaded.map((k) => k.publicPem)).size).toBe(1);
    expect(new Set(loaded.map((k) => k.internalSecret)).size).toBe(1);
    expect(new Set(loaded.map((k) => k.pseudonymKey)).size).toBe(1);
    expect((await loadOrCreateDemoKeys(dir)).publicPem).toBe(loaded[0].publicPem);
    expect(readdirSync(dir)).toEqual(["demo-keys.json"]);
  } finally {
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

describe("webhook secrets", () => {
  const live = `whsec_${Buffer.from("live_" + "k".repeat(27)).toString("base64")}`;
  const testKey = `whsec_${Buffer.from("test_" + "k".repeat(27)).toString("base64")}`;

  test("in production a test key stops start-up, naming the variable", () => {
    expect(() => webhookVerifiers({ NODE_ENV: "production", WEBHOOK_SECRET_JD: testKey }, () => {})).toThrow(/WEBHOOK_SECRET_JD is a test key/);
  });

  test("in production a missing secret disables that channel with a clear log line", () => {
    const lines: string[] = [];
    const verifiers = webhookVerifiers({ NODE_ENV: "production", WEBHOOK_SECRET_WEB: live }, (l) => lines.push(l));
    expect(Object.keys(verifiers)).toEqual(["web"]);
    expect(lines).toContain("Webhooks for taobao are disabled: WEBHOOK_SECRET_TAOBAO is not set.");
  });

  test("a malformed secret stops start-up, naming the variable", () => {
    expect(() => webhookVerifiers({ WEBHOOK_SECRET_POS: "hunter2" }, () => {})).toThrow(/WEBHOOK_SECRET_POS must be a Standard Webhooks secret/);
  });

  test("a channel time zone must be an IANA zone", () => {
    expect(() => channelZones({ CHANNEL_TIMEZONE_POS: "CST" })).toThrow(/CHANNEL_TIMEZONE_POS/);
    expect(channelZones({ CHANNEL_TIMEZONE_POS: "America/New_York" }).POS).toBe("America/New_York");
  });

  test("SLA settings are validated", () => {
    expect(() => parseSlaPolicy({ SLA_OVERRIDES: "SHIPPED=abc" })).toThrow(/SLA_OVERRIDES/);
    expect(() => parseSlaPolicy({ SLA_MINUTES: "0" })).toThrow(/SLA_MINUTES/);
    expect(parseSlaPolicy({ SLA_OVERRIDES: "TAOBAO:PAID=10,SHIPPED=600" }).overrides.get("TAOBAO:PAID")).toBe(10);
  });
});

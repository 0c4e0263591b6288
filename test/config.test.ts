import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gatewayConfig } from "../gateway/config";
import { loadOrCreateDemoKeys } from "../gateway/demo-keys";
import { startHub } from "../gateway/hub";
import { webhookVerifiers } from "../gateway/webhooks";
import { ConfigError, subgraphConfig } from "../subgraphs/kernel/config";
import { parseSlaPolicy } from "../subgraphs/orders/sla";
import { channelZones } from "../subgraphs/orders/webhook-route";

const base = { INTERNAL_SIGNING_SECRET: "s".repeat(32), JWT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----", JWT_ISSUER: "i", JWT_AUDIENCE: "a" };

test.each([
  ["PORT", { PORT: "http" }],
  ["MAX_BODY_BYTES", { MAX_BODY_BYTES: "-1" }],
  ["ORDERS_URL", { ORDERS_URL: "not a url" }],
  ["JWT_ALGORITHMS", { JWT_ALGORITHMS: "HS256" }],
  ["INTERNAL_SIGNING_SECRET", { INTERNAL_SIGNING_SECRET: "short" }],
  ["JWT_ISSUER", { JWT_ISSUER: "" }],
  ["MAX_QUERY_DEPTH", { MAX_QUERY_DEPTH: "2" }],
  ["MAX_QUERY_ALIASES", { MAX_QUERY_ALIASES: "many" }],
])("a bad %s stops start-up with a message naming it", (name, override) => {
  expect(() => gatewayConfig({ ...base, ...override })).toThrow(ConfigError);
  expect(() => gatewayConfig({ ...base, ...override })).toThrow(name);
});

test.each([
  ["MYSQL_URL", { MYSQL_URL: "postgres://x" }],
  ["ORDERS_PORT", { ORDERS_PORT: "70000" }],
  ["DB_NAME_PREFIX", { DB_NAME_PREFIX: "drop table;" }],
  ["PSEUDONYM_KEY", { PSEUDONYM_KEY: "short" }],
  ["PSEUDONYM_KEY", {}],
])("a bad %s stops a subgraph with a message naming it", (name, override) => {
  expect(() => subgraphConfig("orders", { ...base, ...override })).toThrow(name);
});

test("production refuses to start without real key configuration", async () => {
  const env = { NODE_ENV: "production", DATA_DIR: "/nonexistent", JWT_PUBLIC_KEY: "", JWT_JWKS_URL: "", INTERNAL_SIGNING_SECRET: "" };
  await expect(startHub({ env, ephemeralPorts: true })).rejects.toThrow(/INTERNAL_SIGNING_SECRET|JWT_PUBLIC_KEY/);
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

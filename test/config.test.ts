import { gatewayConfig } from "../gateway/config";
import { startHub } from "../gateway/hub";
import { ConfigError, subgraphConfig } from "../subgraphs/kernel/config";

const base = { INTERNAL_SIGNING_SECRET: "s".repeat(32), JWT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----", JWT_ISSUER: "i", JWT_AUDIENCE: "a" };

test.each([
  ["PORT", { PORT: "http" }],
  ["MAX_BODY_BYTES", { MAX_BODY_BYTES: "-1" }],
  ["ORDERS_URL", { ORDERS_URL: "not a url" }],
  ["JWT_ALGORITHMS", { JWT_ALGORITHMS: "HS256" }],
  ["INTERNAL_SIGNING_SECRET", { INTERNAL_SIGNING_SECRET: "short" }],
  ["JWT_ISSUER", { JWT_ISSUER: "" }],
])("a bad %s stops start-up with a message naming it", (name, override) => {
  expect(() => gatewayConfig({ ...base, ...override })).toThrow(ConfigError);
  expect(() => gatewayConfig({ ...base, ...override })).toThrow(name);
});

test.each([
  ["MYSQL_URL", { MYSQL_URL: "postgres://x" }],
  ["ORDERS_PORT", { ORDERS_PORT: "70000" }],
  ["DB_NAME_PREFIX", { DB_NAME_PREFIX: "drop table;" }],
])("a bad %s stops a subgraph with a message naming it", (name, override) => {
  expect(() => subgraphConfig("orders", { ...base, ...override })).toThrow(name);
});

test("production refuses to start without real key configuration", async () => {
  const env = { NODE_ENV: "production", DATA_DIR: "/nonexistent", JWT_PUBLIC_KEY: "", JWT_JWKS_URL: "", INTERNAL_SIGNING_SECRET: "" };
  await expect(startHub({ env, ephemeralPorts: true })).rejects.toThrow(/INTERNAL_SIGNING_SECRET|JWT_PUBLIC_KEY/);
});

import { isIP } from "node:net";

/**
 * Environment configuration, validated at start-up. A bad value throws a ConfigError
 * that names the variable; the process entry points print it and exit.
 */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

export function str(env: Env, name: string, fallback?: string): string {
  const v = env[name];
  if (v === undefined || v === "") {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(`${name} is required but not set.`);
  }
  return v;
}

export function optional(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === "" ? undefined : v;
}

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^-?\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name}="${raw}" is invalid: expected a whole number from ${min} to ${max}.`);
  }
  return Number(raw);
}

export function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name}="${raw}" is invalid: expected true or false.`);
}

export function url(env: Env, name: string, fallback?: string, protocols = ["http:", "https:"]): string {
  const raw = str(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL.`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(" or ")}, got ${parsed.protocol}`);
  }
  return raw;
}

/** An interface to listen on: an IPv4 or IPv6 address, or a host name. */
export function host(env: Env, name: string, fallback: string): string {
  const raw = str(env, name, fallback).trim();
  const hostname = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
  if (isIP(raw) === 0 && !hostname.test(raw)) throw new ConfigError(`${name}="${raw.slice(0, 80)}" is invalid: expected an IP address (127.0.0.1, 0.0.0.0, ::1) or a host name.`);
  return raw;
}

/** A Standard Webhooks secret (whsec_ + base64), for inbound and outbound channel webhooks. */
export function assertWebhookSecret(name: string, secret: string): string {
  if (!/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(secret)) {
    throw new ConfigError(`${name} must be a Standard Webhooks secret: whsec_ followed by at least 24 base64 bytes.`);
  }
  return secret;
}

/**
 * The NODE_ENV values of a developer's machine: unset, "development" or "test". Only
 * there may local demo keys, demo webhook secrets and demo data fill in for real ones.
 */
export function isDevelopment(env: Env = process.env): boolean {
  return env.NODE_ENV === undefined || env.NODE_ENV === "" || env.NODE_ENV === "development" || env.NODE_ENV === "test";
}

/**
 * Any other NODE_ENV ("production", "staging", "prod", "Production", …) runs as
 * production: real keys are required, test keys and plain-http key URLs refused. A
 * misspelt value therefore fails safe instead of switching the demo keys on.
 */
export function isProduction(env: Env = process.env): boolean {
  return !isDevelopment(env);
}

export interface DeliveryConfig {
  /** Attempts before the head of a queue is parked. */
  maxDeliveries: number;
  /** Wait after the first failure; doubles with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How often the retry job looks for due heads. */
  pollSeconds: number;
  /** How long who-looked-at-or-retried-parked-events rows are kept; the retry job deletes older ones. */
  auditRetentionDays: number;
}

/** Validated at start-up: a bad value stops the service naming the variable. */
export function deliveryConfig(env: Env): DeliveryConfig {
  const baseDelayMs = int(env, "EVENT_RETRY_BASE_MS", 1000, 10, 3_600_000);
  return {
    maxDeliveries: int(env, "EVENT_MAX_DELIVERIES", 10, 1, 1000),
    baseDelayMs,
    maxDelayMs: Math.max(baseDelayMs, int(env, "EVENT_RETRY_MAX_MS", 600_000, 10, 86_400_000)),
    pollSeconds: int(env, "EVENT_RETRY_POLL_SECONDS", 5, 1, 3600),
    auditRetentionDays: int(env, "DELIVERY_AUDIT_RETENTION_DAYS", 90, 1, 36_500),
  };
}

/** Settings every subgraph process shares. */
export interface SubgraphConfig {
  host: string;
  port: number;
  mysqlUrl?: string;
  dbNamePrefix: string;
  dataDir: string;
  /** MySQL/MariaDB connections per subgraph. */
  poolSize: number;
  /** Print every SQL statement. */
  sqlLog: boolean;
  /** Count the SQL statements of GraphQL requests (sqlStatementCount); off in production. */
  countStatements: boolean;
  internalSecret: string;
  /** Keys the pseudonyms BI sees instead of channel account ids. */
  pseudonymKey: string;
  maxBodyBytes: number;
  /** How often the outbox relay looks for events nobody poked it about. */
  outboxPollMs: number;
  /** How long the relay's lease lasts unrenewed: how soon another instance takes over from a dead one. */
  outboxLeaseMs: number;
  /** Retries of events its consumers failed to apply. */
  delivery: DeliveryConfig;
}

export const SUBGRAPH_DEFAULT_PORTS = { orders: 4001, customers: 4002, products: 4003, aftersales: 4004 } as const;
export type SubgraphName = keyof typeof SUBGRAPH_DEFAULT_PORTS;
export const SUBGRAPH_NAMES = Object.keys(SUBGRAPH_DEFAULT_PORTS) as SubgraphName[];

export function internalSecret(env: Env): string {
  const secret = str(env, "INTERNAL_SIGNING_SECRET");
  if (secret.length < 32) throw new ConfigError("INTERNAL_SIGNING_SECRET must be at least 32 characters.");
  return secret;
}

/**
 * The key of the pseudonyms BI gets instead of channel account ids. Changing it changes
 * every pseudonym (BI's distinct counts start over), so production sets it once, like
 * the other secrets; outside production the hub keeps a generated one in the data folder.
 */
export function pseudonymKey(env: Env): string {
  const key = str(env, "PSEUDONYM_KEY");
  if (key.length < 32) throw new ConfigError("PSEUDONYM_KEY must be at least 32 characters.");
  return key;
}

export function databaseConfig(env: Env) {
  const mysqlUrl = optional(env, "MYSQL_URL");
  if (mysqlUrl) url(env, "MYSQL_URL", undefined, ["mysql:", "mariadb:"]);
  const dbNamePrefix = str(env, "DB_NAME_PREFIX", "orderhub");
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(dbNamePrefix)) {
    throw new ConfigError(`DB_NAME_PREFIX="${dbNamePrefix}" is invalid: use lower-case letters, digits and _.`);
  }
  return {
    mysqlUrl,
    dbNamePrefix,
    dataDir: str(env, "DATA_DIR", "data"),
    // At least 2: start-up holds the migration lock on one connection while it migrates on another.
    poolSize: int(env, "DB_POOL_SIZE", 10, 2, 1000),
    sqlLog: bool(env, "SQL_LOG", false),
    countStatements: bool(env, "SQL_COUNT_STATEMENTS", !isProduction(env)),
  };
}

export function subgraphConfig(name: SubgraphName, env: Env = process.env): SubgraphConfig {
  const portVar = `${name.toUpperCase()}_PORT`;
  return {
    // Not HOST: opening the gateway to the network must not open the subgraphs, which
    // only the gateway (or a load balancer in front of them) should reach.
    host: host(env, "SUBGRAPH_HOST", "127.0.0.1"),
    port: int(env, portVar, SUBGRAPH_DEFAULT_PORTS[name], 0, 65535),
    ...databaseConfig(env),
    internalSecret: internalSecret(env),
    maxBodyBytes: int(env, "MAX_BODY_BYTES", 1_048_576, 1024, 64 * 1_048_576),
    pseudonymKey: pseudonymKey(env),
    ...outboxConfig(env),
    delivery: deliveryConfig(env),
  };
}

/** The relay renews its lease when half of it is used, at a poll: a lease shorter than a few polls would lapse between them. */
function outboxConfig(env: Env) {
  const outboxPollMs = int(env, "OUTBOX_POLL_MS", 200, 10, 60_000);
  const outboxLeaseMs = int(env, "OUTBOX_LEASE_MS", 15_000, 500, 600_000);
  if (outboxLeaseMs < 4 * outboxPollMs) throw new ConfigError(`OUTBOX_LEASE_MS=${outboxLeaseMs} is invalid: it must be at least 4 times OUTBOX_POLL_MS (${outboxPollMs}).`);
  return { outboxPollMs, outboxLeaseMs };
}

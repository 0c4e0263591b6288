import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DataSource } from "typeorm";
import { startHub } from "../../gateway/hub";
import { DEMO_AUDIENCE, DEMO_ISSUER, demoTokenMinter, loadOrCreateDemoKeys, type DemoKeys, type TokenMinter } from "../../gateway/demo-keys";
import { jwtConfig, type JwtConfig } from "../../gateway/config";
import { SUBGRAPH_NAMES, type SubgraphName } from "../../subgraphs/kernel/config";
import { dropDatabases, openDatabase } from "../../subgraphs/kernel/database";
import { EVENT_ENTITIES } from "../../subgraphs/kernel/events";
import { SUBGRAPHS } from "../../gateway/subgraph-list";
import { EVICTED_METRIC, PREPARED_METRIC, sqlPreparedTextCount, sqlPrepareCount, sqlStatementEvictions, TEXTS_METRIC } from "../../subgraphs/kernel/prepared-reads";
import { parseMetrics, sample } from "../support/metrics";
import { startServiceHub } from "../support/services";

/** A process's prepared-statement counts (see prepared-reads.ts). */
export interface PreparedReadStats {
  prepared: number;
  texts: number;
  evicted: number;
}

/**
 * Where the benchmark runs: the whole hub in this process (one-process, as `npm start`
 * and the tests run it), or each service its own process on MariaDB and NATS JetStream
 * (services, as production runs it). The phases only see this interface.
 */
export type BenchMode = "one-process" | "services";

export interface BenchTarget {
  mode: BenchMode;
  /** The gateway's GraphQL URL. */
  url: string;
  /** The orders subgraph's GraphQL URL. */
  ordersUrl: string;
  /** A connection to the orders database (the hub's own in one process; the bench's own otherwise). */
  ordersDs: DataSource;
  mintToken: TokenMinter;
  /** How the hub's gateway verifies bearer tokens: the stock gateway verifies them the same way. */
  jwt: JwtConfig;
  /** GraphQL URL of each subgraph, for the stock gateway. */
  subgraphUrls: Record<SubgraphName, string>;
  /** The process our gateway runs in (this one, in one process). */
  gatewayPid: number;
  /** The processes the subgraphs run in (this one, in one process: shared with our gateway). */
  subgraphPids: number[];
  /** Resolves once every outbox is published and every consumer has caught up. */
  settle(): Promise<void>;
  /** Resident memory of each process of the hub, in MB. */
  rss(): Promise<Record<string, number>>;
  /** SQL statements each of the hub's processes has prepared so far (texts and evictions too). */
  preparedStatements(): Promise<Record<string, PreparedReadStats>>;
  stop(): Promise<void>;
}

export interface TargetSecrets {
  internalSecret: string;
  webhookSecret: string;
  /** Added to the hub's environment (LOG_LEVEL, pool sizes). */
  env: Record<string, string>;
}

const MB = 1024 * 1024;

/** The demo issuer, audience and algorithm the bench hubs run with, around their own public key. */
function demoJwt(publicPem: string): JwtConfig {
  return jwtConfig({ JWT_PUBLIC_KEY: publicPem, JWT_ISSUER: DEMO_ISSUER, JWT_AUDIENCE: DEMO_AUDIENCE, JWT_ALGORITHMS: "EdDSA" });
}

/**
 * Settings both modes run with, so they are compared on the same footing: the bench's own
 * NODE_ENV (production, see production-mode.ts) and OUTBOX_POLL_MS (empty: the services'
 * default), where the test harness of the services mode would otherwise set NODE_ENV=test
 * and a 50 ms outbox poll.
 */
function sharedSettings(): Record<string, string> {
  return { NODE_ENV: process.env.NODE_ENV ?? "", OUTBOX_POLL_MS: process.env.OUTBOX_POLL_MS ?? "" };
}

/**
 * What production requires be set (nothing is filled in from DATA_DIR): the bench's own
 * token key pair (it mints the shoppers' tokens with the private half), the pseudonym key,
 * and /metrics declared internal (the bench scrapes it on the loopback).
 */
function productionKeys(keys: DemoKeys): Record<string, string> {
  return {
    JWT_PUBLIC_KEY: keys.publicPem,
    JWT_ISSUER: DEMO_ISSUER,
    JWT_AUDIENCE: DEMO_AUDIENCE,
    JWT_ALGORITHMS: "EdDSA",
    PSEUDONYM_KEY: keys.pseudonymKey,
    METRICS_INTERNAL_ONLY: "true",
  };
}

export async function oneProcessTarget(secrets: TargetSecrets): Promise<BenchTarget> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "ohbench-"));
  const mysqlUrl = process.env.MYSQL_URL || undefined;
  const prefix = `ohbench_${process.pid}_1p`;
  const cleanup = async () => {
    if (mysqlUrl) await dropDatabases(mysqlUrl, prefix, SUBGRAPH_NAMES);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const keys = await loadOrCreateDemoKeys(dataDir);
    const hub = await startHub({
      env: {
        ...secrets.env,
        ...sharedSettings(),
        ...productionKeys(keys),
        DATA_DIR: dataDir,
        ...(mysqlUrl ? { DB_NAME_PREFIX: prefix } : {}),
        INTERNAL_SIGNING_SECRET: secrets.internalSecret,
        WEBHOOK_SECRET_WEB: secrets.webhookSecret,
      },
      ephemeralPorts: true,
    });
    return {
      mode: "one-process",
      url: hub.url,
      ordersUrl: hub.subgraphs.orders.url,
      ordersDs: hub.subgraphs.orders.ds,
      mintToken: demoTokenMinter(keys),
      jwt: demoJwt(keys.publicPem),
      subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, hub.subgraphs[n].url])) as Record<SubgraphName, string>,
      gatewayPid: process.pid,
      subgraphPids: [process.pid],
      settle: () => hub.settle(),
      async rss() {
        return { "hub (gateway + 4 subgraphs)": process.memoryUsage().rss / MB };
      },
      async preparedStatements() {
        return { hub: { prepared: sqlPrepareCount(), texts: sqlPreparedTextCount(), evicted: sqlStatementEvictions() } };
      },
      async stop() {
        await hub.stop().catch((err) => console.error("Stopping the hub failed:", err));
        await cleanup().catch((err) => console.error("Cleaning up the bench database failed:", err));
      },
    };
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
}

async function scrapeSamples(base: string) {
  const res = await fetch(new URL("/metrics", base));
  if (res.status !== 200) throw new Error(`${base}/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

/**
 * Five processes of `dist/gateway/start-service.js` on MariaDB (MYSQL_URL) and NATS
 * (NATS_URL, default 127.0.0.1:4222), with their own databases and stream, removed at the end.
 */
export async function servicesTarget(secrets: TargetSecrets): Promise<BenchTarget> {
  const mysqlUrl = process.env.MYSQL_URL;
  if (!mysqlUrl) throw new Error("Services mode runs on MariaDB: set MYSQL_URL (e.g. mysql://root@127.0.0.1:3306).");
  const tag = `${process.pid}`;
  // Started one by one below, each with the keys the harness made (production fills nothing in).
  const hub = await startServiceHub({ prefix: `ohbench_${tag}_svc`, stream: `ohbench_${tag}`, start: [] });
  try {
    const env = { ...secrets.env, ...sharedSettings(), ...productionKeys(hub.keys), INTERNAL_SIGNING_SECRET: secrets.internalSecret, WEBHOOK_SECRET_WEB: secrets.webhookSecret };
    await Promise.all(SUBGRAPH_NAMES.map((n) => hub.start(n, { env })));
    await hub.start("gateway", { env });
  } catch (err) {
    await hub.stop().catch(() => undefined);
    throw err;
  }
  let ordersDs: DataSource | undefined;
  try {
    ordersDs = await openDatabase({
      service: "orders",
      mysqlUrl,
      dbNamePrefix: hub.prefix,
      dataDir: hub.dataDir,
      entities: [...SUBGRAPHS.orders.entities, ...EVENT_ENTITIES],
      migrations: SUBGRAPHS.orders.migrations,
    });
  } catch (err) {
    await hub.stop().catch(() => undefined);
    throw err;
  }
  const subgraphBases = SUBGRAPH_NAMES.map((n: SubgraphName) => [n, hub.services[n].base] as const);

  /** Every subgraph's /metrics says: nothing left in its outbox, nothing waiting for its consumer. */
  async function quiet(): Promise<string | null> {
    for (const [name, base] of subgraphBases) {
      const s = await scrapeSamples(base);
      const backlog = sample(s, "orderhub_outbox_backlog_events");
      const lag = sample(s, "orderhub_consumer_lag_events");
      // Absent means the reading failed: not quiet.
      if (backlog !== 0) return `${name}: outbox backlog ${backlog ?? "unreadable"}`;
      // A service that consumes nothing (products) has no lag gauge.
      if (lag !== undefined && lag !== 0) return `${name}: consumer lag ${lag}`;
    }
    return null;
  }

  return {
    mode: "services",
    url: hub.url,
    ordersUrl: hub.services.orders.url,
    ordersDs,
    mintToken: hub.mintToken,
    jwt: demoJwt(hub.keys.publicPem),
    subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, hub.services[n].url])) as Record<SubgraphName, string>,
    gatewayPid: hub.services.gateway.pid,
    subgraphPids: SUBGRAPH_NAMES.map((n) => hub.services[n].pid),
    async settle() {
      // Twice quiet in a row: a consumer that handled an event may append one of its own meanwhile.
      let quietRounds = 0;
      let last: string | null = null;
      for (const until = Date.now() + 10 * 60_000; Date.now() < until; ) {
        last = await quiet();
        quietRounds = last === null ? quietRounds + 1 : 0;
        if (quietRounds === 2) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`The services did not settle within 10 minutes (${last}).`);
    },
    async rss() {
      const out: Record<string, number> = {};
      for (const name of ["gateway", ...SUBGRAPH_NAMES] as const) {
        const s = await scrapeSamples(hub.services[name].base);
        out[name] = (sample(s, "orderhub_process_resident_memory_bytes") ?? NaN) / MB;
      }
      return out;
    },
    async preparedStatements() {
      const out: Record<string, PreparedReadStats> = {};
      for (const name of SUBGRAPH_NAMES) {
        const s = await scrapeSamples(hub.services[name].base);
        out[name] = { prepared: sample(s, PREPARED_METRIC) ?? NaN, texts: sample(s, TEXTS_METRIC) ?? NaN, evicted: sample(s, EVICTED_METRIC) ?? NaN };
      }
      return out;
    },
    async stop() {
      await ordersDs?.destroy().catch(() => undefined);
      await hub.stop().catch((err) => console.error("Stopping the services failed:", err));
    },
  };
}

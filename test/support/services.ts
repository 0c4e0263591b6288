import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, rmdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { graphql, mustQuery } from "../../gateway/client";
import { DEMO_AUDIENCE, DEMO_ISSUER, demoTokenMinter, loadOrCreateDemoKeys, loadOrCreateDemoSecrets, type DemoKeys, type TokenMinter } from "../../gateway/demo-keys";
import { secretVar, WEBHOOK_CHANNELS, type WebhookChannel } from "../../gateway/webhooks";
import { SUBGRAPH_NAMES, type SubgraphName } from "../../subgraphs/kernel/config";
import { connectToMysqlServer, dropDatabases } from "../../subgraphs/kernel/database";
import { projectRoot } from "../../subgraphs/kernel/project-root";
import type { Role } from "../../subgraphs/kernel/principal";

/**
 * Real processes of `dist/gateway/start-service.js` for tests: start one with an
 * environment, wait until it is ready, stop it with a signal or kill -9 it, start it again
 * on the same port. A whole hub is five of them on MariaDB and NATS JetStream.
 */

export type ServiceName = "gateway" | SubgraphName;
type Env = Record<string, string | undefined>;

export const SERVICE_SCRIPT = path.join(projectRoot(), "dist", "gateway", "start-service.js");
export const NATS_URL = process.env.NATS_URL || "nats://127.0.0.1:4222";

/**
 * Compiles the project to dist/ once per test file. Test files run in parallel workers: a
 * lock directory keeps two compilations from writing dist/ at the same time.
 */
export function buildServices(): void {
  const lock = path.join(projectRoot(), "dist.build-lock");
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run is stale after two minutes.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock);
      } catch {
        /* gone meanwhile */
      }
      if (waited > 180_000) throw new Error(`Could not take ${lock}: another build is stuck.`);
      execFileSync("sleep", ["0.2"]);
    }
  }
  try {
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(projectRoot(), "tsconfig.json")], { stdio: "pipe" });
  } catch (err) {
    const e = err as { stdout?: Buffer };
    throw new Error(`tsc failed:\n${e.stdout?.toString() ?? String(err)}`);
  } finally {
    rmdirSync(lock);
  }
}

/** A port no one listens on now (the OS picks it), so a service can come back on it after a restart. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  name: ServiceName;
  pid: number;
  /** http://127.0.0.1:<port> (no path); GraphQL is at `${base}/graphql`. */
  base: string;
  url: string;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<Exit>;
  /** Polls /readyz until it answers 200. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Sends the signal and waits for the exit (kill -9 after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
  /** kill -9, and waits until it is gone. */
  kill(): Promise<Exit>;
}

/** Only what a process needs from the test's own environment: every setting comes from `env`. */
function childEnv(env: Env): Record<string, string> {
  const base: Env = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, LANG: process.env.LANG };
  return Object.fromEntries(Object.entries({ ...base, ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

/** Whatever happens to a test, no service it started outlives the test process. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** Spawns a service; resolves once it printed its ready line (and, unless told not to, /readyz is 200). */
export async function startService(
  name: ServiceName,
  env: Env,
  options: { waitReady?: boolean; startTimeoutMs?: number; onStarted?: (p: ServiceProcess) => void } = {},
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [SERVICE_SCRIPT, name], { env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  running.add(child);
  const exited = new Promise<Exit>((resolve) => child.once("exit", (code, signal) => (running.delete(child), resolve({ code, signal }))));
  const readyLine = new RegExp(`OrderHub ${name} ready: (\\S+)`);
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = () => {
      const m = readyLine.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        resolve(m[1]);
      }
    };
    child.stdout!.on("data", onData);
    void exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${e.code ?? e.signal}) before it was ready:\n${out}`));
    });
  });
  const base = new URL(url).origin;
  const proc: ServiceProcess = {
    name,
    pid: child.pid!,
    base,
    url,
    child,
    output: () => out,
    exited,
    async waitReady(ms = 30_000) {
      const until = Date.now() + ms;
      let last = "";
      while (Date.now() < until) {
        try {
          const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) });
          if (r.status === 200) return;
          last = `${r.status} ${await r.text()}`;
        } catch (err) {
          last = (err as Error).message;
        }
        await sleep(100);
      }
      throw new Error(`${name} at ${base} not ready within ${ms} ms (last: ${last}):\n${out}`);
    },
    async stop(signal = "SIGTERM", ms = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), ms);
      const e = await exited;
      clearTimeout(timer);
      return e;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return exited;
    },
  };
  // Known to the caller before it is waited on, so a service that never turns ready is still stopped.
  options.onStarted?.(proc);
  if (options.waitReady !== false) {
    try {
      await proc.waitReady();
    } catch (err) {
      await proc.kill();
      throw err;
    }
  }
  return proc;
}

/** Runs a service that is expected to stop by itself (a configuration error): its exit and output. */
export async function runServiceToExit(name: ServiceName, env: Env, timeoutMs = 60_000): Promise<Exit & { output: string }> {
  const child = spawn(process.execPath, [SERVICE_SCRIPT, name], { env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const e = await new Promise<Exit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  clearTimeout(timer);
  return { ...e, output: out };
}

/** A NATS server of a test's own (JetStream on a store folder it keeps across restarts), to stop and start at will. */
export interface PrivateNats {
  url: string;
  port: number;
  start(): Promise<void>;
  /** SIGTERM, waiting for the exit; `kill -9` with `signal: "SIGKILL"`. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it and removes its store. */
  destroy(): Promise<void>;
}

export const NATS_SERVER_BIN = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
})();

export async function privateNats(): Promise<PrivateNats> {
  if (!NATS_SERVER_BIN) throw new Error("nats-server is not installed");
  const storeDir = mkdtempSync(path.join(tmpdir(), "orderhub-nats-"));
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  const nats: PrivateNats = {
    url,
    port,
    async start() {
      const s = spawn(NATS_SERVER_BIN, ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir], { stdio: "ignore" });
      server = s;
      running.add(s);
      s.once("exit", () => running.delete(s));
      try {
        await eventually(async () => {
          const nc = await connect({ servers: url, reconnect: false }).catch(() => undefined);
          if (!nc) return false;
          await nc.close();
          return true;
        }, `the NATS server on ${port}`);
      } catch (err) {
        s.kill("SIGKILL");
        throw err;
      }
    },
    async stop(signal = "SIGTERM") {
      const s = server;
      if (!s || s.exitCode !== null || s.signalCode !== null) return;
      const exited = new Promise((r) => s.once("exit", r));
      s.kill(signal);
      await exited;
    },
    async destroy() {
      await nats.stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  await nats.start();
  return nats;
}

/** Deletes a test's stream and with it its consumers. */
export async function deleteStream(stream: string, natsUrl = NATS_URL): Promise<void> {
  const nc = await connect({ servers: natsUrl, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined/false (no timed assertion: the test's timeout bounds it). */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 45_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > until) throw new Error(`Gave up waiting for ${what}`);
    await sleep(100);
  }
}

export interface ServiceHub {
  /** The gateway's GraphQL URL. */
  url: string;
  env: Record<string, string>;
  prefix: string;
  stream: string;
  dataDir: string;
  /** The first instance of each service (the one the gateway talks to). */
  services: Record<ServiceName, ServiceProcess>;
  /** Every process started through this hub, extra instances and restarts included. */
  all: ServiceProcess[];
  /** Fixed ports of the services, kept across restarts. */
  ports: Record<ServiceName, number>;
  /** Starts (again) a service on its port, or an extra instance on a new one (`extraInstance`). */
  start(name: ServiceName, options?: { env?: Env; extraInstance?: boolean; waitReady?: boolean }): Promise<ServiceProcess>;
  mintToken: TokenMinter;
  /** The hub's token key pair and secrets (Ed25519, made with jose in a fresh data folder). */
  keys: DemoKeys;
  token(roles: Role[], sub?: string, channel?: string): Promise<string>;
  query<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string): ReturnType<typeof graphql<T>>;
  ok<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<T>;
  /** Runs SQL on one service's own database. */
  sql<T = Record<string, any>>(service: SubgraphName, query: string, params?: unknown[]): Promise<T[]>;
  /** Stops every process (SIGTERM, no grace), deletes the stream and the databases. */
  stop(): Promise<void>;
}

export interface ServiceHubOptions {
  /** Added to every service's environment. */
  env?: Env;
  /** Which services to start at once (default: all five, subgraphs first). */
  start?: ServiceName[];
  prefix?: string;
  stream?: string;
  /** Another MariaDB server than MYSQL_URL (e.g. a test's private one, to kill and restart). */
  mysqlUrl?: string;
  /** Another NATS server than NATS_URL (e.g. a test's private one, to stop and start). */
  natsUrl?: string;
}

/**
 * The whole hub as separate processes on MariaDB (MYSQL_URL) and NATS (NATS_URL): its own
 * databases (`DB_NAME_PREFIX`) and stream (`NATS_STREAM`), demo keys in a fresh data folder,
 * NODE_ENV=test.
 */
export async function startServiceHub(options: ServiceHubOptions = {}): Promise<ServiceHub> {
  const mysqlUrl = options.mysqlUrl ?? process.env.MYSQL_URL;
  if (!mysqlUrl) throw new Error("The service hub runs on MariaDB: set MYSQL_URL.");
  const natsUrl = options.natsUrl ?? NATS_URL;
  const tag = `${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const prefix = options.prefix ?? `ohs_${tag}`;
  const stream = options.stream ?? `ohs_${tag}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "orderhub-services-"));
  // Created before any process starts, so all five read the same keys instead of racing to make them.
  const keys = await loadOrCreateDemoKeys(dataDir);
  loadOrCreateDemoSecrets(dataDir);
  const names: ServiceName[] = ["gateway", ...SUBGRAPH_NAMES];
  const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await freePort()]))) as Record<ServiceName, number>;
  const env: Record<string, string> = {
    NODE_ENV: "test",
    MYSQL_URL: mysqlUrl,
    DB_NAME_PREFIX: prefix,
    NATS_URL: natsUrl,
    NATS_STREAM: stream,
    DATA_DIR: dataDir,
    OUTBOX_POLL_MS: "50",
    SHUTDOWN_GRACE_MS: "0",
    PORT: String(ports.gateway),
    ...Object.fromEntries(SUBGRAPH_NAMES.flatMap((n) => [
      [`${n.toUpperCase()}_PORT`, String(ports[n])],
      [`${n.toUpperCase()}_URL`, `http://127.0.0.1:${ports[n]}/graphql`],
    ])),
    ...(Object.fromEntries(Object.entries(options.env ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>),
  };
  const services = {} as Record<ServiceName, ServiceProcess>;
  const all: ServiceProcess[] = [];
  const mintToken = demoTokenMinter(keys);
  const token = (roles: Role[], sub = `test:${roles.join("+")}`, channel?: string) =>
    mintToken({ sub, roles, channel: (roles.includes("channel") ? (channel ?? "WEB") : channel) as never });
  let admin: string | undefined;
  const url = `http://127.0.0.1:${ports.gateway}/graphql`;

  async function start(name: ServiceName, o: { env?: Env; extraInstance?: boolean; waitReady?: boolean } = {}) {
    const portVar = name === "gateway" ? "PORT" : `${name.toUpperCase()}_PORT`;
    const port = o.extraInstance ? await freePort() : ports[name];
    const p = await startService(name, { ...env, [portVar]: String(port), ...o.env }, { waitReady: o.waitReady, onStarted: (started) => all.push(started) });
    if (!o.extraInstance) services[name] = p;
    return p;
  }

  const hub: ServiceHub = {
    url,
    env,
    prefix,
    stream,
    dataDir,
    services,
    all,
    ports,
    start,
    mintToken,
    keys,
    token,
    query: (q, v = {}, t) => graphql(url, q, v, t),
    async ok(q, v = {}, t) {
      admin ??= await token(["admin"]);
      return mustQuery(url, q, v, t ?? admin);
    },
    async sql(service, query, params = []) {
      const conn = await connectToMysqlServer(mysqlUrl);
      try {
        await conn.query(`USE \`${prefix}_${service}\``);
        const [rows] = await conn.query(query, params);
        return rows as never;
      } finally {
        await conn.end();
      }
    },
    async stop() {
      await Promise.all(all.map((p) => p.stop("SIGTERM", 15_000)));
      await deleteStream(stream, natsUrl).catch(() => undefined);
      await dropDatabases(mysqlUrl, prefix, SUBGRAPH_NAMES);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    const wanted = options.start ?? names;
    // Subgraphs first (in parallel: migrations take turns on their own lock), then the gateway, which needs them.
    await Promise.all(wanted.filter((n) => n !== "gateway").map((n) => start(n)));
    if (wanted.includes("gateway")) await start("gateway");
  } catch (err) {
    await hub.stop().catch(() => undefined);
    throw err;
  }
  return hub;
}

/** Webhook secrets as production accepts them (whsec_ + random bytes, not marked as test keys). */
export function liveWebhookSecrets(): Record<WebhookChannel, string> {
  return Object.fromEntries(WEBHOOK_CHANNELS.map((c) => [c, `whsec_${randomBytes(32).toString("base64")}`])) as Record<WebhookChannel, string>;
}

/**
 * What a service of `hub` needs to run with NODE_ENV=production: every key explicit (the
 * hub's own, so its tokens and signatures still verify), nothing filled in from DATA_DIR.
 */
export function productionEnv(hub: Pick<ServiceHub, "keys">, webhookSecrets: Record<WebhookChannel, string> = liveWebhookSecrets()): Record<string, string> {
  return {
    NODE_ENV: "production",
    JWT_PUBLIC_KEY: hub.keys.publicPem,
    JWT_ISSUER: DEMO_ISSUER,
    JWT_AUDIENCE: DEMO_AUDIENCE,
    JWT_ALGORITHMS: "EdDSA",
    INTERNAL_SIGNING_SECRET: hub.keys.internalSecret,
    PSEUDONYM_KEY: hub.keys.pseudonymKey,
    // The test's processes are reached on the loopback only.
    METRICS_INTERNAL_ONLY: "true",
    ...webhookSecretEnv(webhookSecrets),
  };
}

/** WEBHOOK_SECRET_<CHANNEL> for each channel. */
export function webhookSecretEnv(secrets: Record<WebhookChannel, string>): Record<string, string> {
  return Object.fromEntries(WEBHOOK_CHANNELS.map((c) => [secretVar(c), secrets[c]]));
}

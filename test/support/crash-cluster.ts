import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { demoEnv, demoSecretsEnv, demoTokenMinter, loadOrCreateDemoKeys, loadOrCreateDemoSecrets, type TokenMinter } from "../../gateway/demo-keys";
import { SUBGRAPH_NAMES, type SubgraphName } from "../../subgraphs/kernel/config";
import { dropDatabases } from "../../subgraphs/kernel/database";
import { projectRoot } from "../../subgraphs/kernel/project-root";
import { freePort } from "./private-servers";
import { buildServices } from "./services";

/**
 * The hub as production runs it, for crash tests: every service its own child process
 * (`node dist/gateway/start-service.js <service>`), on MariaDB and NATS JetStream, each
 * on a fixed free port so a killed service comes back where the others expect it.
 * Every process of a cluster shares one set of development keys and webhook secrets,
 * made before any starts (several processes making their own would disagree).
 */

export type ServiceName = "gateway" | SubgraphName;

/** Whatever happens to the test, no service it started outlives its process. */
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** Compiles the project once per test process (under the shared build lock), so the children run the code under test. */
let built = false;
export function buildOnce(): void {
  if (built) return;
  buildServices();
  built = true;
}

export interface ServiceProcess {
  name: string;
  service: ServiceName;
  port: number;
  base: string;
  log: string;
  pid(): number | undefined;
  start(): Promise<void>;
  /** Sends the signal and waits for the process to exit; resolves with its exit code (null after a kill). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  running(): boolean;
  /** Resolves when the process has exited. */
  exited(): Promise<number | null>;
}

export interface ClusterOptions {
  mysqlUrl: string;
  natsUrl: string;
  /** Extra environment for every service (e.g. OUTBOX_POLL_MS). */
  env?: Record<string, string>;
  /** Which subgraphs to run (all by default); the gateway is told the URL of every one. */
  subgraphs?: SubgraphName[];
  gateways?: number;
  /** What a gateway answers once started: /readyz (every subgraph ready) unless only some subgraphs run. */
  gatewayReady?: "/readyz" | "/healthz";
}

export interface Cluster {
  prefix: string;
  stream: string;
  dataDir: string;
  services: Record<string, ServiceProcess>;
  gateways: ServiceProcess[];
  secrets: Record<string, string>;
  mintToken: TokenMinter;
  /** Starts every service (subgraphs first, then the gateways) and waits until each is ready. */
  start(): Promise<void>;
  /** Kills every process and drops the databases (the NATS stream goes with the caller's server, or deleteStream). */
  destroy(): Promise<void>;
}

async function probe(base: string, path: string): Promise<number | undefined> {
  try {
    const r = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return undefined;
  }
}

function processOf(name: string, service: ServiceName, port: number, env: () => Record<string, string>, logDir: string, readyPath = "/readyz"): ServiceProcess {
  let child: ChildProcess | undefined;
  let exit: Promise<number | null> = Promise.resolve(null);
  const log = path.join(logDir, `${name}.log`);
  const base = `http://127.0.0.1:${port}`;
  const running = () => !!child && child.exitCode === null && child.signalCode === null;
  return {
    name,
    service,
    port,
    base,
    log,
    pid: () => child?.pid,
    running,
    exited: () => exit,
    async start() {
      if (running()) throw new Error(`${name} is already running`);
      const out = openSync(log, "a");
      const c = spawn(process.execPath, [path.join(projectRoot(), "dist", "gateway", "start-service.js"), service], {
        cwd: projectRoot(),
        env: env(),
        stdio: ["ignore", out, out],
      });
      child = c;
      children.add(c);
      exit = new Promise((r) => c.once("exit", (code) => (children.delete(c), r(code))));
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if (!running()) throw new Error(`${name} exited while starting (code ${c.exitCode}); log:\n${tail(log)}`);
        if ((await probe(base, readyPath)) === 200) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${name} was not ready within 60 s; log:\n${tail(log)}`);
    },
    async stop(signal = "SIGTERM") {
      if (!running()) return child?.exitCode ?? null;
      child!.kill(signal);
      return exit;
    },
  };
}

export function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return "(no log)";
  return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
}

export async function createCluster(options: ClusterOptions): Promise<Cluster> {
  const tag = `${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const prefix = `ohcrash_${tag}`;
  const stream = `ohcrash_${tag}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "orderhub-crash-"));
  const keys = await loadOrCreateDemoKeys(dataDir);
  const secrets = loadOrCreateDemoSecrets(dataDir);
  const subgraphs = options.subgraphs ?? SUBGRAPH_NAMES;
  const ports: Record<string, number> = {};
  for (const s of SUBGRAPH_NAMES) ports[s] = await freePort();
  const common: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    MYSQL_URL: options.mysqlUrl,
    DB_NAME_PREFIX: prefix,
    NATS_URL: options.natsUrl,
    NATS_STREAM: stream,
    OUTBOX_POLL_MS: "50",
    SHUTDOWN_GRACE_MS: "1000",
    ...demoEnv(keys),
    ...demoSecretsEnv(secrets),
    ...Object.fromEntries(SUBGRAPH_NAMES.map((s) => [`${s.toUpperCase()}_PORT`, String(ports[s])])),
    ...Object.fromEntries(SUBGRAPH_NAMES.map((s) => [`${s.toUpperCase()}_URL`, `http://127.0.0.1:${ports[s]}/graphql`])),
    ...options.env,
  };
  const services: Record<string, ServiceProcess> = {};
  for (const s of subgraphs) services[s] = processOf(s, s, ports[s], () => common, dataDir);
  const gateways: ServiceProcess[] = [];
  for (let g = 0; g < (options.gateways ?? 1); g++) {
    const port = await freePort();
    const p = processOf(`gateway${g + 1}`, "gateway", port, () => ({ ...common, PORT: String(port) }), dataDir, options.gatewayReady);
    gateways.push(p);
    services[p.name] = p;
  }
  return {
    prefix,
    stream,
    dataDir,
    services,
    gateways,
    secrets,
    mintToken: demoTokenMinter(keys),
    async start() {
      // Subgraphs one after another: their first start runs the migrations, and two cores are shared.
      for (const s of subgraphs) await services[s].start();
      await Promise.all(gateways.map((g) => g.start()));
    },
    async destroy() {
      await Promise.all(Object.values(services).map((s) => s.stop("SIGKILL")));
      await dropDatabases(options.mysqlUrl, prefix, SUBGRAPH_NAMES).catch(() => undefined);
      if (!process.env.KEEP_CRASH_LOGS) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

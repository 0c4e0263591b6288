// First: NODE_ENV must be settled before graphql is loaded.
import "./production-mode";
import "reflect-metadata";
import { ConfigError, isProduction, SUBGRAPH_NAMES, subgraphConfig, type SubgraphName } from "../subgraphs/kernel/config";
import type { EventBus } from "../subgraphs/kernel/events";
import { shutdownConfig, type ShutdownConfig } from "../subgraphs/kernel/graceful";
import { applyHeapGrowth } from "../subgraphs/kernel/heap";
import { createLogger, useLogger, type Logger } from "../subgraphs/kernel/logging";
import { gatewayConfig } from "./config";
import { hubEnvironment } from "./hub-environment";

// What only one kind of service needs is imported where that service starts: the gateway
// loads no subgraph (TypeORM, the database drivers, entities), a subgraph neither the
// gateway (@apollo/gateway, its query planner) nor the other three subgraphs.

type Env = Record<string, string | undefined>;
const SERVICES = ["gateway", ...SUBGRAPH_NAMES] as const;
type ServiceName = (typeof SERVICES)[number];

/** What a started service needs to stop well. */
interface Stoppable {
  drain(): void;
  stop(options: { graceful: boolean; timeoutMs: number }): Promise<void>;
}

/**
 * `npm run start:service -- <service>`: one service as its own process, configured by the
 * environment only. Subgraphs carry events over NATS JetStream (NATS_URL); production
 * refuses to run without it, since the in-process bus reaches no other process.
 */
async function main() {
  const name = process.argv[2] as ServiceName;
  if (!(SERVICES as readonly string[]).includes(name)) {
    console.error(`Usage: npm run start:service -- <${SERVICES.join("|")}>`);
    process.exit(2);
  }
  // In development the same demo keys and secrets fill in as for `npm start` (from DATA_DIR).
  const { env } = await hubEnvironment({ ...process.env });
  applyHeapGrowth(env);
  const shutdown = shutdownConfig(env);
  // JSON lines on stdout; background work (relay, bus, schedulers) logs as this service too.
  const logger = createLogger(env);
  useLogger(logger.child({ service: name }));
  const service = name === "gateway" ? await startGatewayService(env, logger) : await startSubgraphService(name, env, logger);
  console.log(`OrderHub ${name} ready: ${service.url}`);
  handleSignals(name, service.running, shutdown);
}

async function startGatewayService(env: Env, logger: Logger) {
  const config = gatewayConfig(env);
  const { startGateway } = await import("./server");
  const gateway = await startGateway(config, undefined, { logger });
  return { url: gateway.url, running: gateway as Stoppable };
}

async function startSubgraphService(name: SubgraphName, env: Env, logger: Logger) {
  const config = subgraphConfig(name, env);
  // A service process of a production deployment has its own MariaDB database: falling back
  // to a SQLite file in the container would lose its data at the next deploy, silently.
  // (`npm start`, the whole hub in one process, may still run on SQLite.)
  if (!config.mysqlUrl && isProduction(env)) {
    throw new ConfigError(
      `MYSQL_URL is required with NODE_ENV=${env.NODE_ENV}: a service run on its own keeps its data in MariaDB (e.g. MYSQL_URL=mysql://orderhub:…@db:3306).`,
    );
  }
  const [{ InProcessBus }, { NatsBus, natsConfig }, { startSubgraph }, { loadSubgraph }] = await Promise.all([
    import("../subgraphs/kernel/events"),
    import("../subgraphs/kernel/jetstream-bus"),
    import("../subgraphs/kernel/subgraph"),
    import("./subgraph-loader"),
  ]);
  const nats = natsConfig(env);
  if (!nats && isProduction(env)) {
    throw new ConfigError(
      `NATS_URL is required with NODE_ENV=${env.NODE_ENV}: a service on its own carries events to the others over NATS JetStream (e.g. NATS_URL=nats://127.0.0.1:4222).`,
    );
  }
  let bus: EventBus;
  let notReadyReason: (() => string | undefined) | undefined;
  if (nats) {
    // Connects in the background: the database, the HTTP port and the outbox do not wait for
    // NATS (a service restarted during a NATS outage still takes writes; /readyz says why it is not ready).
    const natsBus = NatsBus.open(nats, `orderhub-${name}`);
    natsBus.ready.catch((err) => {
      // Only a setting no retry can fix rejects (it is logged by the bus): stop, as for any bad setting.
      console.error(`Configuration error: ${(err as Error).message}`);
      process.exit(1);
    });
    bus = natsBus;
    notReadyReason = () => natsBus.notReadyReason();
  } else {
    bus = new InProcessBus();
    console.warn(
      `[${name}] NATS_URL is not set: events stay in this service's outbox (no other process could receive them). Set NATS_URL to connect the services.`,
    );
  }
  // JetStream keeps what the relay publishes for consumers not connected yet, so the relay
  // starts at once. The in-process bus reaches no other service: events wait in the outbox.
  const subgraph = await startSubgraph(await loadSubgraph(name), config, bus, { env, holdRelay: !nats, notReadyReason, ownBus: true, logger });
  try {
    await bus.start();
  } catch (err) {
    await subgraph.stop();
    throw err;
  }
  return { url: subgraph.url, running: subgraph as Stoppable };
}

/**
 * SIGTERM/SIGINT: /readyz turns 503 at once and the service keeps serving for
 * SHUTDOWN_GRACE_MS, so a load balancer takes it out; then it stops accepting, lets the
 * requests under way finish, closes consumers, relay, jobs and database, and exits 0.
 * A second signal exits at once.
 */
function handleSignals(name: ServiceName, running: Stoppable, config: ShutdownConfig) {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: ${name} draining for ${config.graceMs} ms, then stopping`);
    running.drain();
    await new Promise((resolve) => setTimeout(resolve, config.graceMs));
    try {
      await running.stop({ graceful: true, timeoutMs: config.drainTimeoutMs });
      console.log(`${name} stopped`);
      process.exit(0);
    } catch (err) {
      console.error(`${name} did not stop cleanly:`, err);
      process.exit(1);
    }
  };
  process.on("SIGTERM", (s) => void stop(s));
  process.on("SIGINT", (s) => void stop(s));
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(`Configuration error: ${err.message}`);
  else console.error(err);
  process.exit(1);
});

import "reflect-metadata";
import { IsNull } from "typeorm";
import { SUBGRAPH_NAMES, subgraphConfig, type SubgraphName } from "../subgraphs/kernel/config";
import type { Clock } from "../subgraphs/kernel/clock";
import { InProcessBus, OutboxEvent } from "../subgraphs/kernel/events";
import { startSubgraph, type RunningSubgraph } from "../subgraphs/kernel/subgraph";
import { createLogger, useLogger } from "../subgraphs/kernel/logging";
import { metricsOperations, metricsToken } from "../subgraphs/kernel/metrics";
import type { DestinationStream } from "pino";
import { gatewayConfig } from "./config";
import type { TokenMinter } from "./demo-keys";
import { hubEnvironment } from "./hub-environment";
import { startGateway, type RunningGateway } from "./server";
import { SUBGRAPHS } from "./subgraph-list";

export { hubEnvironment };

type Env = Record<string, string | undefined>;

export interface HubOptions {
  env?: Env;
  /** Let the OS pick every port (tests, benchmark). */
  ephemeralPorts?: boolean;
  /** The schedulers' clock; tests pass a ManualClock. */
  clock?: Clock;
  /** Where the JSON log lines go (stdout unless given; tests capture them). */
  logDestination?: DestinationStream;
}

export interface Hub {
  url: string;
  gateway: RunningGateway;
  subgraphs: Record<SubgraphName, RunningSubgraph>;
  /** Mints tokens with the local demo key; undefined when real keys are configured. */
  mintToken?: TokenMinter;
  /** Resolves once every outbox is published and consumed (the embedded bus is synchronous). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the whole hub in one process: four subgraphs on their own ports and
 * databases, the in-process event bus, and the gateway in front.
 */
export async function startHub(options: HubOptions = {}): Promise<Hub> {
  const prepared = await hubEnvironment({ ...process.env, ...options.env });
  const mintToken = prepared.mintToken;
  let env = prepared.env;
  if (options.ephemeralPorts) {
    env = { ...env, PORT: "0", ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_PORT`, "0"])) };
  }
  // Validate every setting before anything starts, so a bad value stops us cleanly.
  const configs = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, subgraphConfig(n, env)]));
  // The subgraph URLs are this process's own (known once they listen), whatever *_URL says.
  gatewayConfig({ ...env, ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, "http://127.0.0.1:1/graphql"])) });
  metricsToken(env);
  metricsOperations(env);
  const logger = createLogger(env, options.logDestination);
  // Background work (relays, schedulers) logs through the process logger: this one.
  useLogger(logger);

  const bus = new InProcessBus();
  const subgraphs = {} as Record<SubgraphName, RunningSubgraph>;
  try {
    for (const name of SUBGRAPH_NAMES) subgraphs[name] = await startSubgraph(SUBGRAPHS[name], configs[name], bus, { clock: options.clock, env, holdRelay: true, logger, processMetrics: false });
    // Every consumer is subscribed now: what the outboxes hold (e.g. events a migration
    // wrote, or left unpublished by a crash) reaches all of them.
    for (const s of Object.values(subgraphs)) s.relay.start();
  } catch (err) {
    await Promise.all(Object.values(subgraphs).map((s) => s.stop()));
    throw err;
  }
  const urls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, subgraphs[n].url]));
  const gateway = await startGateway(gatewayConfig({ ...env, ...urls }), undefined, { logger });

  async function settle() {
    for (let round = 0; round < 50; round++) {
      await Promise.all(Object.values(subgraphs).map((s) => s.relay.poke()));
      const pending = await Promise.all(Object.values(subgraphs).map((s) => s.ds.getRepository(OutboxEvent).countBy({ publishedAt: IsNull() })));
      if (pending.every((n) => n === 0)) return;
    }
    throw new Error("The outboxes did not drain; see the logged publish errors.");
  }

  return {
    url: gateway.url,
    gateway,
    subgraphs,
    mintToken,
    settle,
    async stop() {
      await gateway.stop();
      // Relays deliver into every subgraph's consumers: stop them all before any database closes.
      await Promise.all(Object.values(subgraphs).map((s) => s.relay.stop()));
      for (const s of Object.values(subgraphs)) await s.stop();
    },
  };
}

import "reflect-metadata";
import { IsNull } from "typeorm";
import { ConfigError, databaseConfig, isProduction, SUBGRAPH_NAMES, subgraphConfig, type SubgraphName } from "../subgraphs/kernel/config";
import type { Clock } from "../subgraphs/kernel/clock";
import { InProcessBus, OutboxEvent } from "../subgraphs/kernel/events";
import { startSubgraph, type RunningSubgraph } from "../subgraphs/kernel/subgraph";
import { gatewayConfig } from "./config";
import { demoEnv, demoSecretsEnv, demoTokenMinter, loadOrCreateDemoKeys, loadOrCreateDemoSecrets, type TokenMinter } from "./demo-keys";
import { startGateway, type RunningGateway } from "./server";
import { SUBGRAPHS } from "./subgraph-list";

type Env = Record<string, string | undefined>;

export interface HubOptions {
  env?: Env;
  /** Let the OS pick every port (tests, benchmark). */
  ephemeralPorts?: boolean;
  /** The schedulers' clock; tests pass a ManualClock. */
  clock?: Clock;
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
  let env: Env = { ...process.env, ...options.env };
  let mintToken: TokenMinter | undefined;
  if (!isProduction(env) && !env.JWT_PUBLIC_KEY && !env.JWT_JWKS_URL) {
    const keys = await loadOrCreateDemoKeys(databaseConfig(env).dataDir);
    env = { ...demoEnv(keys), ...env, JWT_PUBLIC_KEY: keys.publicPem, INTERNAL_SIGNING_SECRET: env.INTERNAL_SIGNING_SECRET ?? keys.internalSecret };
    mintToken = demoTokenMinter(keys);
  }
  if (!isProduction(env)) {
    // Demo webhook secrets fill in for any channel without one (never in production).
    const demo = demoSecretsEnv(loadOrCreateDemoSecrets(databaseConfig(env).dataDir));
    for (const [name, secret] of Object.entries(demo)) if (!env[name]) env = { ...env, [name]: secret };
    // So is the demo pseudonym key, kept in the data folder so pseudonyms survive restarts.
    if (!env.PSEUDONYM_KEY) env = { ...env, PSEUDONYM_KEY: (await loadOrCreateDemoKeys(databaseConfig(env).dataDir)).pseudonymKey };
  }
  if (isProduction(env) && env.DEMO_DATA === "true") throw new ConfigError("DEMO_DATA=true is not allowed with NODE_ENV=production.");
  if (options.ephemeralPorts) {
    env = { ...env, PORT: "0", ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_PORT`, "0"])) };
  }
  // Validate every setting before anything starts, so a bad value stops us cleanly.
  const configs = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, subgraphConfig(n, env)]));
  gatewayConfig(env);

  const bus = new InProcessBus();
  const subgraphs = {} as Record<SubgraphName, RunningSubgraph>;
  try {
    for (const name of SUBGRAPH_NAMES) subgraphs[name] = await startSubgraph(SUBGRAPHS[name], configs[name], bus, { clock: options.clock, env });
  } catch (err) {
    await Promise.all(Object.values(subgraphs).map((s) => s.stop()));
    throw err;
  }
  const urls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, subgraphs[n].url]));
  const gateway = await startGateway(gatewayConfig({ ...env, ...urls }));

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

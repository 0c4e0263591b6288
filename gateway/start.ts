// First: NODE_ENV must be settled before graphql is loaded.
import "./production-mode";
import "reflect-metadata";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { bool, ConfigError, databaseConfig, isDevelopment } from "../subgraphs/kernel/config";
import { applyHeapGrowth } from "../subgraphs/kernel/heap";
import { seedDemoData } from "./demo-data";
import { startHub } from "./hub";

/** `npm start`: the whole hub in one process; on embedded defaults it adds demo data and tokens. */
async function main() {
  const env = process.env;
  applyHeapGrowth(env);
  const demo = bool(env, "DEMO_DATA", isDevelopment(env));
  const hub = await startHub();
  console.log(`OrderHub gateway: ${hub.url}`);
  if (demo && hub.mintToken) {
    const { dataDir } = databaseConfig(env);
    const { seeded, tokens } = await seedDemoData(hub.url, hub.mintToken, hub.settle);
    const file = path.join(dataDir, "demo-tokens.json");
    writeFileSync(file, JSON.stringify(tokens, null, 2), { mode: 0o600 });
    console.log(seeded ? "Demo data created." : "Demo data already present.");
    console.log(`Demo tokens: ${file} (admin, cs_agent, cs_supervisor, finance, bi_analyst, warehouse, customer1, customer2, channel_<channel>)`);
    console.log(`Webhook secrets (test keys) for POST ${hub.url.replace(/\/graphql$/, "/webhooks/<channel>")}: ${path.join(dataDir, "demo-secrets.json")}`);
    console.log(`Try: curl -s ${hub.url} -H 'content-type: application/json' \\
  -H "authorization: Bearer $(node -p "require('./${path.relative(process.cwd(), file)}').customer1")" \\
  -d '{"query":"{ me { displayName orders(first: 3) { edges { node { number channel status total { amount currencyCode } } } } } }"}'`);
  }
  const shutdown = async (signal: string) => {
    console.log(`${signal}: stopping`);
    await hub.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(`Configuration error: ${err.message}`);
  else console.error(err);
  process.exit(1);
});

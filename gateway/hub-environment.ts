import { bool, ConfigError, databaseConfig, isDevelopment } from "../subgraphs/kernel/config";
import { demoEnv, demoSecretsEnv, demoTokenMinter, loadOrCreateDemoKeys, loadOrCreateDemoSecrets, type TokenMinter } from "./demo-keys";

type Env = Record<string, string | undefined>;

/**
 * The environment the hub runs with. Only in development (NODE_ENV unset, "development"
 * or "test": isDevelopment) do local demo keys fill in when no JWT key is set, and demo
 * webhook secrets for channels without one. With any other NODE_ENV nothing is filled
 * in, so start-up stops naming the first missing key.
 *
 * On its own (not in hub.ts) so that a service process reads it without loading the
 * subgraphs and their database code.
 */
export async function hubEnvironment(base: Env): Promise<{ env: Env; mintToken?: TokenMinter }> {
  let env = base;
  if (!isDevelopment(env)) {
    if (bool(env, "DEMO_DATA", false)) throw new ConfigError(`DEMO_DATA=true is not allowed with NODE_ENV=${env.NODE_ENV}; it is for development only.`);
    return { env };
  }
  let mintToken: TokenMinter | undefined;
  const { dataDir } = databaseConfig(env);
  if (!env.JWT_PUBLIC_KEY && !env.JWT_JWKS_URL) {
    const keys = await loadOrCreateDemoKeys(dataDir);
    env = { ...demoEnv(keys), ...env, JWT_PUBLIC_KEY: keys.publicPem, INTERNAL_SIGNING_SECRET: env.INTERNAL_SIGNING_SECRET || keys.internalSecret };
    mintToken = demoTokenMinter(keys);
  }
  const demo = demoSecretsEnv(loadOrCreateDemoSecrets(dataDir));
  for (const [name, secret] of Object.entries(demo)) if (!env[name]) env = { ...env, [name]: secret };
  // So is the demo pseudonym key, kept in the data folder so pseudonyms survive restarts.
  if (!env.PSEUDONYM_KEY) env = { ...env, PSEUDONYM_KEY: (await loadOrCreateDemoKeys(dataDir)).pseudonymKey };
  return { env, mintToken };
}

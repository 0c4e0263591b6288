import { ConfigError, host, int, internalSecret, isProduction, optional, str, SUBGRAPH_DEFAULT_PORTS, SUBGRAPH_NAMES, url, type SubgraphName } from "../subgraphs/kernel/config";

type Env = Record<string, string | undefined>;

export const JWT_ALGORITHMS = ["EdDSA", "ES256", "ES384", "RS256", "RS384", "RS512", "PS256"] as const;

export interface JwtConfig {
  issuer: string;
  audience: string;
  algorithms: string[];
  /** A PEM (SPKI) public key, or a JWKS URL; exactly one. */
  publicKeyPem?: string;
  jwksUrl?: string;
  /** Largest accepted lifetime of a token, in seconds. */
  maxTokenAgeSeconds: number;
}

export interface GatewayConfig {
  host: string;
  port: number;
  subgraphUrls: Record<SubgraphName, string>;
  jwt: JwtConfig;
  internalSecret: string;
  maxBodyBytes: number;
  subgraphTimeoutMs: number;
  /** How long the gateway waits for a service to retry a batch of parked events. */
  parkedRetryTimeoutMs: number;
  /** Deepest selection and most aliases one operation may have: a cheap guard against queries built to exhaust the hub. */
  maxQueryDepth: number;
  maxQueryAliases: number;
  /** Seconds the public catalog's entity answers are reused (PRODUCT_CACHE_SECONDS); 0: off. */
  productCacheSeconds: number;
  /** The environment, for settings read per channel (webhook secrets). */
  env: Env;
}

export function jwtConfig(env: Env): JwtConfig {
  const algorithms = str(env, "JWT_ALGORITHMS", "EdDSA").split(",").map((a) => a.trim());
  const bad = algorithms.find((a) => !(JWT_ALGORITHMS as readonly string[]).includes(a));
  if (bad) throw new ConfigError(`JWT_ALGORITHMS contains "${bad}"; allowed: ${JWT_ALGORITHMS.join(", ")} (asymmetric only).`);
  const publicKeyPem = optional(env, "JWT_PUBLIC_KEY");
  const jwksUrl = optional(env, "JWT_JWKS_URL");
  if (!publicKeyPem && !jwksUrl) throw new ConfigError("Set JWT_PUBLIC_KEY (PEM) or JWT_JWKS_URL to verify bearer tokens.");
  if (publicKeyPem && jwksUrl) throw new ConfigError("Set only one of JWT_PUBLIC_KEY and JWT_JWKS_URL.");
  if (publicKeyPem && !publicKeyPem.includes("BEGIN PUBLIC KEY")) throw new ConfigError("JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----).");
  if (jwksUrl) url(env, "JWT_JWKS_URL", undefined, ["https:", ...(isProduction(env) ? [] : ["http:"])]);
  return {
    issuer: str(env, "JWT_ISSUER"),
    audience: str(env, "JWT_AUDIENCE"),
    algorithms,
    publicKeyPem: publicKeyPem?.replace(/\\n/g, "\n"),
    jwksUrl,
    maxTokenAgeSeconds: int(env, "JWT_MAX_AGE_SECONDS", 30 * 24 * 3600, 60, 366 * 24 * 3600),
  };
}

export function gatewayConfig(env: Env = process.env): GatewayConfig {
  // In production each subgraph's address is set explicitly: a default of 127.0.0.1 would
  // send the gateway to whatever listens there (or nothing) without a word.
  const subgraphUrls = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => {
      const variable = `${name.toUpperCase()}_URL`;
      if (isProduction(env) && !optional(env, variable)) {
        throw new ConfigError(`${variable} is required with NODE_ENV=${env.NODE_ENV}: where the gateway reaches the ${name} subgraph (e.g. ${variable}=http://${name}:${SUBGRAPH_DEFAULT_PORTS[name]}/graphql).`);
      }
      return [name, url(env, variable, `http://127.0.0.1:${SUBGRAPH_DEFAULT_PORTS[name]}/graphql`)];
    }),
  ) as Record<SubgraphName, string>;
  return {
    host: host(env, "HOST", "127.0.0.1"),
    port: int(env, "PORT", 4000, 0, 65535),
    subgraphUrls,
    jwt: jwtConfig(env),
    internalSecret: internalSecret(env),
    maxBodyBytes: int(env, "MAX_BODY_BYTES", 1_048_576, 1024, 64 * 1_048_576),
    subgraphTimeoutMs: int(env, "SUBGRAPH_TIMEOUT_MS", 10_000, 100, 120_000),
    // A retry of parked events runs them and their followers: longer than a query may take.
    parkedRetryTimeoutMs: int(env, "PARKED_RETRY_TIMEOUT_MS", 300_000, 1000, 3_600_000),
    maxQueryDepth: int(env, "MAX_QUERY_DEPTH", 12, 8, 100),
    maxQueryAliases: int(env, "MAX_QUERY_ALIASES", 30, 0, 1000),
    // How long the public catalog's answers are reused (catalog-cache.ts); 0 turns it off.
    productCacheSeconds: int(env, "PRODUCT_CACHE_SECONDS", 5, 0, 3600),
    env,
  };
}

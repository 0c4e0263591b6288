import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from "jose";
import type { Role } from "../subgraphs/kernel/principal";
import type { Channel } from "../subgraphs/kernel/types";
import { secretVar, TEST_KEY_MARK, WEBHOOK_CHANNELS, type WebhookChannel } from "./webhooks";

/**
 * Local keys for development only (NODE_ENV unset, "development" or "test"): a token
 * signing key pair and the internal signing secret, created on first run under the data
 * folder. With any other NODE_ENV the hub never creates nor reads them, and refuses to
 * start without real configuration.
 */
export interface DemoKeys {
  privateJwk: JWK;
  publicPem: string;
  internalSecret: string;
  /** Keys the pseudonyms BI sees instead of channel account ids (PSEUDONYM_KEY). */
  pseudonymKey: string;
}

/**
 * Demo webhook secrets, one per channel, written to data/demo-secrets.json for whoever
 * plays the channel, in development only. They are marked as test keys, so any other
 * NODE_ENV refuses them.
 */
export function loadOrCreateDemoSecrets(dataDir: string): Record<WebhookChannel, string> {
  const file = path.join(dataDir, "demo-secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as Record<WebhookChannel, string>;
  const secrets = Object.fromEntries(
    WEBHOOK_CHANNELS.map((c) => [c, `whsec_${Buffer.concat([Buffer.from(TEST_KEY_MARK), randomBytes(27)]).toString("base64")}`]),
  ) as Record<WebhookChannel, string>;
  return createOnce(file, secrets);
}

/**
 * Writes `value` to `file` unless another process got there first, and returns what the
 * file holds: several services started at once in a fresh data folder must all end up
 * with the same keys. The content goes to a temporary file that is then hard-linked to
 * the name, which fails if the name exists: the first writer wins, complete, and the
 * others read its file (never a half-written one).
 */
function createOnce<T>(file: string, value: T): T {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2), { mode: 0o600 });
  try {
    linkSync(tmp, file);
    return value;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } finally {
    unlinkSync(tmp);
  }
}

export function demoSecretsEnv(secrets: Record<WebhookChannel, string>): Record<string, string> {
  return Object.fromEntries(WEBHOOK_CHANNELS.map((c) => [secretVar(c), secrets[c]]));
}

export const DEMO_ISSUER = "orderhub-demo";
export const DEMO_AUDIENCE = "orderhub";

export async function loadOrCreateDemoKeys(dataDir: string): Promise<DemoKeys> {
  const file = path.join(dataDir, "demo-keys.json");
  if (existsSync(file)) {
    const keys = JSON.parse(readFileSync(file, "utf8")) as DemoKeys;
    if (keys.pseudonymKey) return keys;
    // A data folder from before pseudonyms: add the key once, so pseudonyms stay stable from now on.
    const upgraded = { ...keys, pseudonymKey: randomBytes(32).toString("base64url") };
    // Replaced whole (a rename), so a reader never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(upgraded, null, 2), { mode: 0o600 });
    renameSync(tmp, file);
    return upgraded;
  }
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const keys: DemoKeys = {
    privateJwk: await exportJWK(privateKey),
    publicPem: await exportSPKI(publicKey),
    internalSecret: randomBytes(32).toString("base64url"),
    pseudonymKey: randomBytes(32).toString("base64url"),
  };
  return createOnce(file, keys);
}

/** The environment the embedded hub runs with when nothing else is configured. */
export function demoEnv(keys: DemoKeys): Record<string, string> {
  return {
    JWT_PUBLIC_KEY: keys.publicPem,
    JWT_ISSUER: DEMO_ISSUER,
    JWT_AUDIENCE: DEMO_AUDIENCE,
    JWT_ALGORITHMS: "EdDSA",
    INTERNAL_SIGNING_SECRET: keys.internalSecret,
    PSEUDONYM_KEY: keys.pseudonymKey,
  };
}

/** `channel` names the one channel a `channel` token acts for. */
export type TokenMinter = (claims: { sub: string; roles: Role[]; channel?: `${Channel}` }, ttlSeconds?: number) => Promise<string>;

export function demoTokenMinter(keys: DemoKeys): TokenMinter {
  let key: Promise<KeyLike | Uint8Array> | undefined;
  return async ({ sub, roles, channel }, ttlSeconds = 30 * 24 * 3600) => {
    key ??= importJWK(keys.privateJwk, "EdDSA");
    return new SignJWT({ roles, ...(channel ? { channel } : {}) })
      .setProtectedHeader({ alg: "EdDSA" })
      .setSubject(sub)
      .setIssuer(DEMO_ISSUER)
      .setAudience(DEMO_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(await key);
  };
}

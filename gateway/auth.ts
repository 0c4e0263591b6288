import { createRemoteJWKSet, errors, importSPKI, jwtVerify, type JWTVerifyGetKey, type KeyLike } from "jose";
import { LRUCache } from "lru-cache";
import { parseGlobalId } from "../subgraphs/kernel/global-id";
import { ROLES, type Principal, type Role } from "../subgraphs/kernel/principal";
import { CHANNELS, type Channel } from "../subgraphs/kernel/types";
import type { JwtConfig } from "./config";

export class AuthError extends Error {}

/** The longest sub the hub accepts: it is stored as the actor of writes. */
export const MAX_SUB_LENGTH = 120;

export type TokenVerifier = (token: string) => Promise<Principal>;

/**
 * A token seen before is not verified again for a while: a storefront sends the same
 * token with every request, and checking its signature each time was the largest single
 * cost of the gateway after the subgraph calls. A kept token is still refused from the
 * second it expires (exp, or iat + JWT_MAX_AGE_SECONDS), and kept at most
 * VERIFIED_TTL_MS, well within the time the remote key set itself is cached, so a key
 * withdrawn from the JWKS stops working about as soon as it would without this.
 */
const VERIFIED_TTL_MS = 60_000;
/** Tokens kept, by their total length in characters (tokens are a few hundred each). */
const VERIFIED_MAX_CHARS = 8 * 1024 * 1024;

/**
 * Verifies bearer JWTs with the algorithm, issuer, audience and lifetime pinned by
 * configuration, and turns the claims into the principal subgraphs see.
 * Claims: sub, roles: string[]; a customer's sub is their Customer global ID; a
 * channel token names the one channel it acts for in `channel` (e.g. "JD").
 */
export async function createTokenVerifier(config: JwtConfig): Promise<TokenVerifier> {
  const key: KeyLike | JWTVerifyGetKey = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl))
    : await importSPKI(config.publicKeyPem!, config.algorithms[0]);
  const verified = new LRUCache<string, { principal: Principal; until: number }>({
    max: 20_000,
    maxSize: VERIFIED_MAX_CHARS,
    sizeCalculation: (_v, token) => token.length,
    ttl: VERIFIED_TTL_MS,
  });
  const verifyOnce = async (token: string): Promise<{ principal: Principal; until: number }> => {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key as KeyLike, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: config.algorithms,
        requiredClaims: ["exp", "iat", "sub"],
        maxTokenAge: config.maxTokenAgeSeconds,
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new AuthError("The bearer token has expired; get a new one.");
      throw new AuthError("The bearer token is not valid for this hub.");
    }
    const roles = Array.isArray(payload.roles) ? (payload.roles as unknown[]).filter((r): r is Role => (ROLES as readonly string[]).includes(String(r))) : [];
    if (roles.length === 0) throw new AuthError("The bearer token carries no known role.");
    // sub is recorded as the actor of every write, in columns of 120 characters.
    if (payload.sub!.length > MAX_SUB_LENGTH) throw new AuthError(`The bearer token's sub is longer than ${MAX_SUB_LENGTH} characters.`);
    // BI reaches every row (it is hub staff) but sees no person; a shopper or channel sees
    // its own people in full. One token with both would see everyone's people in full.
    if (roles.includes("bi_analyst") && (roles.includes("customer") || roles.includes("channel"))) {
      throw new AuthError("A BI token cannot also be a shopper or channel token: use separate tokens.");
    }
    const principal: Principal = { sub: payload.sub!, roles };
    if (roles.includes("customer")) {
      try {
        principal.customerKey = parseGlobalId(payload.sub, "Customer");
      } catch {
        throw new AuthError("A customer token's sub must be the customer's global ID.");
      }
    }
    if (roles.includes("channel")) {
      if (!(CHANNELS as unknown[]).includes(payload.channel)) {
        throw new AuthError(`A channel token must name its channel in the "channel" claim: one of ${CHANNELS.join(", ")}.`);
      }
      principal.channel = payload.channel as Channel;
    }
    // jwtVerify required exp and iat; the token is good until the earlier of its limits.
    const until = Math.min(payload.exp! * 1000, config.maxTokenAgeSeconds ? (payload.iat! + config.maxTokenAgeSeconds) * 1000 : Infinity);
    return { principal, until };
  };
  return async (token) => {
    let entry = verified.get(token);
    if (entry && Date.now() >= entry.until) {
      verified.delete(token);
      entry = undefined;
    }
    if (!entry) {
      entry = await verifyOnce(token);
      verified.set(token, entry);
    }
    // A copy per request: nothing a request does to its principal reaches the next one.
    const { principal } = entry;
    return { ...principal, roles: [...principal.roles] };
  };
}

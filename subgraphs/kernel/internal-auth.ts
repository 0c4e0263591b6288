import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Principal } from "./principal";

/**
 * The gateway signs every call it makes to a subgraph: which subgraph it is for, the
 * method and the request target (path and query), the time, the verified principal and
 * the exact request body, with a shared secret. Subgraphs refuse anything unsigned, so
 * `_entities` and `_service` are never reachable from outside, and a captured call
 * cannot be replayed against another subgraph, another route or with another method:
 * each subgraph checks the signature against its own name and the request as it came.
 * Every call also carries a random nonce under the signature, and a subgraph accepts
 * each nonce once within the time window, so a captured call cannot be sent again
 * either (a second instance of the same subgraph keeps its own record: a replay there
 * must still land within the short window).
 */
export const PRINCIPAL_HEADER = "x-orderhub-principal";
export const TIMESTAMP_HEADER = "x-orderhub-timestamp";
export const SIGNATURE_HEADER = "x-orderhub-signature";
export const NONCE_HEADER = "x-orderhub-nonce";
const MAX_SKEW_SECONDS = 120;

/** One call to a subgraph, as signed and as verified. */
export interface InternalCall {
  /** The subgraph it is for (orders, customers, …). */
  service: string;
  method: string;
  /** Path and query, as on the request line: "/graphql", "/internal/channel-events/web". */
  target: string;
  body: string;
}

function mac(secret: string, timestamp: string, nonce: string, principalHeader: string, call: InternalCall): Buffer {
  // A JSON array, so no part can run into the next whatever characters it holds; the
  // body follows the line break as it is.
  const head = JSON.stringify(["orderhub-internal-3", call.service, call.method.toUpperCase(), call.target, timestamp, nonce, principalHeader]);
  return createHmac("sha256", secret).update(head).update("\n").update(call.body).digest();
}

export function encodePrincipal(p: Principal | null): string {
  return Buffer.from(JSON.stringify(p)).toString("base64url");
}

/** The request target (path and query) of a URL, as the receiving server sees it. */
export function requestTarget(url: string | URL): string {
  const u = typeof url === "string" ? new URL(url) : url;
  return `${u.pathname}${u.search}`;
}

/** Signs a call whose principal header is already encoded (see encodePrincipal). */
export function signInternalRequest(secret: string, principalHeader: string, call: InternalCall, now = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  const nonce = randomBytes(16).toString("base64url");
  return {
    [PRINCIPAL_HEADER]: principalHeader,
    [TIMESTAMP_HEADER]: timestamp,
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: mac(secret, timestamp, nonce, principalHeader, call).toString("base64url"),
  };
}

export type VerifyResult = { ok: true; principal: Principal | null } | { ok: false; reason: string };

/** Checks a received call; `call` is what this subgraph is and what actually arrived. */
export function verifyInternalRequest(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  call: InternalCall,
  now = Date.now(),
): VerifyResult {
  const principalHeader = headers[PRINCIPAL_HEADER];
  const timestamp = headers[TIMESTAMP_HEADER];
  const signature = headers[SIGNATURE_HEADER];
  const nonce = headers[NONCE_HEADER];
  if (typeof principalHeader !== "string" || typeof timestamp !== "string" || typeof signature !== "string" || typeof nonce !== "string") {
    return { ok: false, reason: "missing internal signature" };
  }
  if (!/^[A-Za-z0-9_-]{22}$/.test(nonce)) return { ok: false, reason: "invalid internal signature" };
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) {
    return { ok: false, reason: "internal signature expired" };
  }
  const expected = mac(secret, timestamp, nonce, principalHeader, call);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "invalid internal signature" };
  }
  // Only genuine signatures are remembered, so nobody can fill the record with junk.
  if (!firstUse(`${call.service}:${nonce}`, Number(timestamp) + MAX_SKEW_SECONDS, now / 1000)) {
    return { ok: false, reason: "internal call already received (replayed)" };
  }
  try {
    return { ok: true, principal: JSON.parse(Buffer.from(principalHeader, "base64url").toString("utf8")) as Principal | null };
  } catch {
    return { ok: false, reason: "unreadable principal" };
  }
}

/** Nonces seen within the window, with when they expire (seconds); oldest first. */
const seen = new Map<string, number>();

function firstUse(key: string, expiresAt: number, nowSeconds: number): boolean {
  // Entries go in roughly in time order, so expired ones are at the front.
  for (const [k, until] of seen) {
    if (until >= nowSeconds) break;
    seen.delete(k);
  }
  if (seen.has(key)) return false;
  seen.set(key, expiresAt);
  return true;
}

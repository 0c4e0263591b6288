import { createHmac, timingSafeEqual } from "node:crypto";
import type { Principal } from "./principal";

/**
 * The gateway signs every call it makes to a subgraph: which subgraph it is for, the
 * method and the request target (path and query), the time, the verified principal and
 * the exact request body, with a shared secret. Subgraphs refuse anything unsigned, so
 * `_entities` and `_service` are never reachable from outside, and a captured call
 * cannot be replayed against another subgraph, another route or with another method:
 * each subgraph checks the signature against its own name and the request as it came.
 */
export const PRINCIPAL_HEADER = "x-orderhub-principal";
export const TIMESTAMP_HEADER = "x-orderhub-timestamp";
export const SIGNATURE_HEADER = "x-orderhub-signature";
const MAX_SKEW_SECONDS = 300;

/** One call to a subgraph, as signed and as verified. */
export interface InternalCall {
  /** The subgraph it is for (orders, customers, …). */
  service: string;
  method: string;
  /** Path and query, as on the request line: "/graphql", "/internal/channel-events/web". */
  target: string;
  body: string;
}

function mac(secret: string, timestamp: string, principalHeader: string, call: InternalCall): Buffer {
  // A JSON array, so no part can run into the next whatever characters it holds; the
  // body follows the line break as it is.
  const head = JSON.stringify(["orderhub-internal-2", call.service, call.method.toUpperCase(), call.target, timestamp, principalHeader]);
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
  return {
    [PRINCIPAL_HEADER]: principalHeader,
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: mac(secret, timestamp, principalHeader, call).toString("base64url"),
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
  if (typeof principalHeader !== "string" || typeof timestamp !== "string" || typeof signature !== "string") {
    return { ok: false, reason: "missing internal signature" };
  }
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) {
    return { ok: false, reason: "internal signature expired" };
  }
  const expected = mac(secret, timestamp, principalHeader, call);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "invalid internal signature" };
  }
  try {
    return { ok: true, principal: JSON.parse(Buffer.from(principalHeader, "base64url").toString("utf8")) as Principal | null };
  } catch {
    return { ok: false, reason: "unreadable principal" };
  }
}

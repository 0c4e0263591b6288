import { createHmac, timingSafeEqual } from "node:crypto";
import type { Principal } from "./principal";

/**
 * The gateway signs every call it makes to a subgraph: the verified principal and the
 * exact request body, with a shared secret. Subgraphs refuse anything unsigned, so
 * `_entities` and `_service` are never reachable from outside.
 */
export const PRINCIPAL_HEADER = "x-orderhub-principal";
export const TIMESTAMP_HEADER = "x-orderhub-timestamp";
export const SIGNATURE_HEADER = "x-orderhub-signature";
const MAX_SKEW_SECONDS = 300;

function mac(secret: string, timestamp: string, principalHeader: string, body: string): Buffer {
  return createHmac("sha256", secret).update(`${timestamp}.${principalHeader}.${body}`).digest();
}

export function encodePrincipal(p: Principal | null): string {
  return Buffer.from(JSON.stringify(p)).toString("base64url");
}

/** Signs a request whose principal header is already encoded (see encodePrincipal). */
export function signInternalRequest(secret: string, principalHeader: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  return {
    [PRINCIPAL_HEADER]: principalHeader,
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: mac(secret, timestamp, principalHeader, body).toString("base64url"),
  };
}

export type VerifyResult = { ok: true; principal: Principal | null } | { ok: false; reason: string };

export function verifyInternalRequest(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
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
  const expected = mac(secret, timestamp, principalHeader, body);
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

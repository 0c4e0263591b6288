import { createHmac, timingSafeEqual } from "node:crypto";
import { ConfigError, optional } from "./config";

/**
 * Every event on the bus carries an HMAC-SHA256 over its subject, its message id and its
 * exact body, keyed with the services' shared INTERNAL_SIGNING_SECRET. Consumers apply
 * only events whose signature holds, so a client that can merely publish on the stream's
 * subjects cannot forge facts (a customer merge, an order) into the services' databases,
 * nor replay a genuine body under another subject or id.
 */
export const EVENT_SIGNATURE_HEADER = "OrderHub-Event-Signature";

/** The secret events are signed with, and the previous one still accepted during a rotation. */
export interface EventSigningKeys {
  current: string;
  previous?: string;
}

type Env = Record<string, string | undefined>;

export function eventSigningKeys(env: Env): EventSigningKeys {
  const current = optional(env, "INTERNAL_SIGNING_SECRET");
  if (!current) throw new ConfigError("INTERNAL_SIGNING_SECRET is required with NATS_URL: it signs every event on the bus.");
  if (current.length < 32) throw new ConfigError("INTERNAL_SIGNING_SECRET must be at least 32 characters.");
  // Events still in the stream were signed with the old secret: without it they would be refused after a rotation.
  const previous = optional(env, "EVENT_SIGNING_SECRET_PREVIOUS");
  if (previous !== undefined && previous.length < 32) throw new ConfigError("EVENT_SIGNING_SECRET_PREVIOUS must be at least 32 characters.");
  return { current, previous };
}

function mac(secret: string, subject: string, msgId: string, body: Uint8Array): Buffer {
  // A JSON array, so no part can run into the next; the body follows the line break as it is.
  const head = JSON.stringify(["orderhub-event-1", subject, msgId]);
  return createHmac("sha256", secret).update(head).update("\n").update(body).digest();
}

export function signEvent(keys: EventSigningKeys, subject: string, msgId: string, body: Uint8Array): string {
  return mac(keys.current, subject, msgId, body).toString("base64url");
}

/** True when `signature` is this subject's, id's and body's under the current or the previous secret (constant time). */
export function verifyEvent(keys: EventSigningKeys, subject: string, msgId: string, body: Uint8Array, signature: string | undefined): boolean {
  if (!signature || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return false;
  const given = Buffer.from(signature, "base64url");
  let ok = false;
  for (const secret of [keys.current, keys.previous]) {
    if (!secret) continue;
    const expected = mac(secret, subject, msgId, body);
    // No early exit: both secrets are always tried.
    ok = (given.length === expected.length && timingSafeEqual(given, expected)) || ok;
  }
  return ok;
}

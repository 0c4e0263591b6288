import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { log as processLog } from "../subgraphs/kernel/logging";
import { assertWebhookSecret, ConfigError, isProduction } from "../subgraphs/kernel/config";

/**
 * Channel webhooks follow Standard Webhooks: webhook-id, webhook-timestamp and
 * webhook-signature headers, HMAC-SHA256 over "id.timestamp.body" with the channel's
 * secret, at most 5 minutes of clock skew, constant-time comparison (the library's).
 */
export const WEBHOOK_CHANNELS = ["taobao", "jd", "douyin", "web", "pos"] as const;
export type WebhookChannel = (typeof WEBHOOK_CHANNELS)[number];

/** Demo secrets are marked as test keys: their key bytes start with this. */
export const TEST_KEY_MARK = "test_";

export function secretVar(channel: WebhookChannel): string {
  return `WEBHOOK_SECRET_${channel.toUpperCase()}`;
}

export function isTestKey(secret: string): boolean {
  return Buffer.from(secret.replace(/^whsec_/, ""), "base64").subarray(0, TEST_KEY_MARK.length).toString("latin1") === TEST_KEY_MARK;
}

/**
 * Reads one secret per channel. A malformed secret stops start-up naming the variable.
 * In production a missing secret disables that channel (logged), and a test key stops
 * start-up: a test key in production is how payment callbacks get silently rejected.
 */
export function webhookVerifiers(env: Record<string, string | undefined>, log: (line: string) => void = (line) => processLog().warn(line)): Partial<Record<WebhookChannel, Webhook>> {
  const verifiers: Partial<Record<WebhookChannel, Webhook>> = {};
  for (const channel of WEBHOOK_CHANNELS) {
    const name = secretVar(channel);
    const secret = env[name];
    if (!secret) {
      log(`Webhooks for ${channel} are disabled: ${name} is not set.`);
      continue;
    }
    assertWebhookSecret(name, secret);
    if (isProduction(env) && isTestKey(secret)) throw new ConfigError(`${name} is a test key; production needs the channel's live secret.`);
    verifiers[channel] = new Webhook(secret);
  }
  return verifiers;
}

export type Verification = { ok: true } | { ok: false; message: string };

export function verifyWebhook(verifier: Webhook, body: string, headers: Record<string, string | string[] | undefined>): Verification {
  const pick = (h: string) => (typeof headers[h] === "string" ? (headers[h] as string) : "");
  try {
    verifier.verify(body, { "webhook-id": pick("webhook-id"), "webhook-timestamp": pick("webhook-timestamp"), "webhook-signature": pick("webhook-signature") });
    return { ok: true };
  } catch (err) {
    // The library parses the body after checking the signature: a signed body that is
    // not JSON is the receiver's 400 to give, not a signature failure.
    if (err instanceof SyntaxError) return { ok: true };
    if (err instanceof WebhookVerificationError) return { ok: false, message: `Webhook signature refused: ${err.message}.` };
    return { ok: false, message: "Webhook signature refused." };
  }
}

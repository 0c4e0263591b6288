import { randomUUID } from "node:crypto";
import { Webhook } from "standardwebhooks";

/**
 * Plays a sales channel that pushes webhooks: each delivery is signed with the channel's
 * Standard Webhooks secret (a fresh timestamp per attempt, the same webhook-id for every
 * attempt of one delivery, as the spec asks), and a delivery that got no answer, a 5xx or
 * a 429 is sent again with exponential backoff until it gets an answer the channel takes
 * as final: a 2xx (accepted) or any other 4xx (refused, not retried).
 */

export interface Attempt {
  /** HTTP status, or undefined when no answer came (connection refused/reset, timeout). */
  status?: number;
  error?: string;
}

export interface Delivery {
  channel: string;
  /** What the test keys its checks on (e.g. the channel order id). */
  key: string;
  webhookId: string;
  body: string;
  attempts: Attempt[];
  outcome: "accepted" | "refused" | "gave-up";
  /** The final answer's status and parsed body. */
  status?: number;
  answer?: any;
}

export interface SenderOptions {
  /** Where to post, e.g. http://127.0.0.1:4000 (POST {base}/webhooks/{channel}). Read per attempt. */
  baseUrl: string | (() => string);
  /** The channels' whsec_ secrets, by channel slug. */
  secrets: Record<string, string>;
  /** An attempt without an answer within this time counts as no answer. */
  timeoutMs?: number;
  /** Attempts per delivery before the channel gives up. */
  maxAttempts?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
}

export function isRetryable(a: Attempt): boolean {
  return a.status === undefined || a.status >= 500 || a.status === 429;
}

export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  private readonly signers = new Map<string, Webhook>();
  private readonly opts: Required<Omit<SenderOptions, "baseUrl" | "secrets">> & Pick<SenderOptions, "baseUrl" | "secrets">;

  constructor(options: SenderOptions) {
    this.opts = { timeoutMs: 10_000, maxAttempts: 80, backoffMs: 50, maxBackoffMs: 1_000, ...options };
  }

  private signer(channel: string): Webhook {
    let s = this.signers.get(channel);
    if (!s) {
      const secret = this.opts.secrets[channel];
      if (!secret) throw new Error(`no webhook secret for channel ${channel}`);
      this.signers.set(channel, (s = new Webhook(secret)));
    }
    return s;
  }

  private base(): string {
    return typeof this.opts.baseUrl === "function" ? this.opts.baseUrl() : this.opts.baseUrl;
  }

  /** Sends one delivery until it is final (or maxAttempts ran out); resolves with its record. */
  async deliver(channel: string, key: string, payload: unknown): Promise<Delivery> {
    const body = JSON.stringify(payload);
    const delivery: Delivery = { channel, key, webhookId: `msg_${randomUUID()}`, body, attempts: [], outcome: "gave-up" };
    this.deliveries.push(delivery);
    for (let n = 0; n < this.opts.maxAttempts; n++) {
      if (n > 0) {
        const ceiling = Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** Math.min(n - 1, 10));
        await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
      }
      const attempt = await this.attempt(channel, delivery);
      delivery.attempts.push(attempt.attempt);
      if (isRetryable(attempt.attempt)) continue;
      delivery.status = attempt.attempt.status;
      delivery.answer = attempt.answer;
      delivery.outcome = attempt.attempt.status! < 300 ? "accepted" : "refused";
      return delivery;
    }
    return delivery;
  }

  private async attempt(channel: string, d: Delivery): Promise<{ attempt: Attempt; answer?: unknown }> {
    const now = new Date();
    const signature = this.signer(channel).sign(d.webhookId, now, d.body);
    try {
      const res = await fetch(`${this.base()}/webhooks/${channel}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": d.webhookId,
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": signature,
        },
        body: d.body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      const text = await res.text();
      let answer: unknown = text;
      try {
        answer = JSON.parse(text);
      } catch {
        /* not JSON: kept as text */
      }
      return { attempt: { status: res.status }, answer };
    } catch (err) {
      const e = err as { name?: string; message?: string; cause?: { code?: string } };
      return { attempt: { error: e.cause?.code ?? e.name ?? e.message ?? "error" } };
    }
  }

  /** Counts over every delivery so far, for the report and the assertions. */
  stats() {
    const byStatus: Record<string, number> = {};
    let attempts = 0;
    let noAnswer = 0;
    for (const d of this.deliveries) {
      for (const a of d.attempts) {
        attempts++;
        if (a.status === undefined) noAnswer++;
        const k = a.status === undefined ? `no answer (${a.error})` : String(a.status);
        byStatus[k] = (byStatus[k] ?? 0) + 1;
      }
    }
    const count = (o: Delivery["outcome"]) => this.deliveries.filter((d) => d.outcome === o).length;
    return {
      deliveries: this.deliveries.length,
      accepted: count("accepted"),
      refused: count("refused"),
      gaveUp: count("gave-up"),
      attempts,
      retried: this.deliveries.filter((d) => d.attempts.length > 1).length,
      noAnswer,
      byStatus,
    };
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `work` over the items with at most `lanes` at a time; resolves when all are done. */
export async function inLanes<T>(items: T[], lanes: number, work: (item: T, i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i], i);
      }
    }),
  );
}

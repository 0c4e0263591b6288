import { intervalJob } from "../kernel/interval-job";
import { Webhook } from "standardwebhooks";
import { Column, Entity, Index, LessThanOrEqual, PrimaryGeneratedColumn, type DataSource, type FindOptionsWhere } from "typeorm";
import type { Clock } from "../kernel/clock";
import { inTransaction } from "../kernel/database";
import { assertWebhookSecret, ConfigError, int, isProduction, optional, url } from "../kernel/config";
import type { HubEvent, Subscription } from "../kernel/events";
import { toGlobalId } from "../kernel/global-id";
import type { BackgroundJob } from "../kernel/subgraph";
import { CHANNELS, type Channel } from "../kernel/types";
import { log, redacted } from "../kernel/logging";

/**
 * Outbound customer-change webhooks. A channel that subscribes (OUTBOUND_WEBHOOK_URL_<CHANNEL>
 * and OUTBOUND_WEBHOOK_SECRET_<CHANNEL>) is told about golden-record changes that concern
 * its own identities: customer.updated, customer.merged and customer.unmerged.
 *
 * - The consumer turns each event into one PENDING delivery per concerned, subscribed
 *   channel (at most once per event: consumeOnce plus a unique (channel, eventId)).
 * - The dispatcher POSTs due deliveries signed the Standard Webhooks way (the scheme we
 *   verify on ingestion), retries with exponential backoff (30 s, 60 s, 120 s, ... by
 *   default, so the first three retries fall within 3.5 minutes) and gives up after
 *   OUTBOUND_MAX_ATTEMPTS (status FAILED, kept for inspection).
 * - Per channel, deliveries go out in the order they were created: while the oldest
 *   pending one waits for its retry, later ones wait behind it. A FAILED one no longer
 *   holds the line.
 * - Delivery is at least once: receivers dedupe on webhook-id (`<eventId>_<CHANNEL>`),
 *   which stays the same on every retry.
 *
 * What a channel receives: the customer's global ID, that channel's own identities
 * (channelCustomerId only) and, for customer.updated, the golden fields that changed with
 * their new values (displayName, phone, tier, address, addressCode, marketingOptIn). This
 * is golden data, so it may come from another channel (a phone given on Taobao reaches
 * JD): that is the point of the feature, and also a sharing of personal data that the
 * channel agreements must cover. Steward notes and match evidence are never sent.
 */

export const OUTBOUND_EVENT_TYPES = ["customer.updated", "customer.merged", "customer.unmerged"] as const;
export const OUTBOUND_CONSUMER = "customers.outbound";
/** No retry waits longer than this, whatever the attempt. */
export const MAX_RETRY_DELAY_SECONDS = 3600;
const REQUEST_TIMEOUT_MS = 10_000;
/** How long a claimed attempt keeps other dispatchers away: the request timeout and a margin. */
const ATTEMPT_LEASE_MS = REQUEST_TIMEOUT_MS + 50_000;
/** Deliveries looked at per channel and run. */
const BATCH = 50;

export enum DeliveryStatus {
  PENDING = "PENDING",
  DELIVERED = "DELIVERED",
  FAILED = "FAILED",
}

/** The JSON body a channel receives. */
export interface OutboundBody {
  id: string;
  type: string;
  occurredAt: string;
  customerId: string;
  identities: Array<{ channelCustomerId: string }>;
  changes?: Record<string, unknown>;
  survivorId?: string;
  absorbedIds?: string[];
  restoredIds?: string[];
}

/** One webhook call to make (or made) to one channel for one outbox event. */
@Entity("outbound_deliveries")
@Index("uq_outbound_channel_event", ["channel", "eventId"], { unique: true })
@Index("ix_outbound_due", ["status", "nextAttemptAt"])
export class OutboundDeliveryRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "varchar", length: 10 })
  channel!: Channel;

  /** The outbox event this delivery carries. */
  @Column({ type: "varchar", length: 36 })
  eventId!: string;

  @Column({ type: "varchar", length: 60 })
  type!: string;

  /** The body as sent (JSON-serialized at each attempt). */
  @Column({ type: "simple-json" })
  payload!: OutboundBody;

  @Column({ type: "varchar", length: 10 })
  status!: DeliveryStatus;

  @Column({ type: "int", default: 0 })
  attempts!: number;

  @Column({ type: "datetime", precision: 3 })
  nextAttemptAt!: Date;

  /** Why the last attempt failed: an HTTP status or a transport error code, nothing more. */
  @Column({ type: "varchar", length: 300, nullable: true })
  lastError!: string | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  deliveredAt!: Date | null;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;
}

// ---------------------------------------------------------------- configuration

export interface OutboundTarget {
  url: string;
  secret: string;
}

export interface OutboundConfig {
  targets: Partial<Record<Channel, OutboundTarget>>;
  retrySeconds: number;
  maxAttempts: number;
  pollSeconds: number;
}

/** Reads and validates the OUTBOUND_* settings; a bad one is a ConfigError naming it. */
export function outboundConfig(env: Record<string, string | undefined>): OutboundConfig {
  const targets: Partial<Record<Channel, OutboundTarget>> = {};
  for (const channel of CHANNELS) {
    const urlVar = `OUTBOUND_WEBHOOK_URL_${channel}`;
    const secretVar = `OUTBOUND_WEBHOOK_SECRET_${channel}`;
    const secret = optional(env, secretVar);
    if (!optional(env, urlVar)) {
      if (secret) throw new ConfigError(`${secretVar} is set but ${urlVar} is not; set both to subscribe ${channel}, or neither.`);
      continue;
    }
    // Customer data leaves the hub here: in production only over TLS.
    const target = url(env, urlVar, undefined, isProduction(env) ? ["https:"] : ["http:", "https:"]);
    if (!secret) throw new ConfigError(`${secretVar} is required when ${urlVar} is set.`);
    assertWebhookSecret(secretVar, secret);
    targets[channel] = { url: target, secret };
  }
  return {
    targets,
    // Capped so that the first retries still fall within the 5-minute promise.
    retrySeconds: int(env, "OUTBOUND_RETRY_SECONDS", 30, 1, 60),
    maxAttempts: int(env, "OUTBOUND_MAX_ATTEMPTS", 8, 1, 20),
    pollSeconds: int(env, "OUTBOUND_POLL_SECONDS", 5, 1, 60),
  };
}

// ---------------------------------------------------------------- retry schedule

/**
 * Pure: seconds to wait after the `attempts`-th failed attempt (1-based):
 * base, 2·base, 4·base, ... never more than MAX_RETRY_DELAY_SECONDS.
 */
export function retryDelaySeconds(attempts: number, baseSeconds: number, capSeconds = MAX_RETRY_DELAY_SECONDS): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 30));
  return Math.min(capSeconds, baseSeconds * 2 ** exponent);
}

/** Pure: what happens to a delivery whose attempt number `attempts` just failed at `now`. */
export function afterFailure(attempts: number, now: Date, cfg: Pick<OutboundConfig, "retrySeconds" | "maxAttempts">): { status: DeliveryStatus; nextAttemptAt: Date } {
  if (attempts >= cfg.maxAttempts) return { status: DeliveryStatus.FAILED, nextAttemptAt: now };
  return { status: DeliveryStatus.PENDING, nextAttemptAt: new Date(now.getTime() + retryDelaySeconds(attempts, cfg.retrySeconds) * 1000) };
}

// ---------------------------------------------------------------- subscriber

const customerGid = (key: unknown) => toGlobalId("Customer", String(key));

interface EventIdentity {
  channel?: unknown;
  channelCustomerId?: unknown;
}

/** Pure: the body `channel` receives for `event`, or null when no identity of that channel is concerned. */
export function outboundBody(event: HubEvent, channel: Channel): OutboundBody | null {
  const p = event.payload as Record<string, unknown>;
  const all = Array.isArray(p.identities) ? (p.identities as EventIdentity[]) : [];
  const identities = all.filter((i) => i && i.channel === channel && typeof i.channelCustomerId === "string").map((i) => ({ channelCustomerId: i.channelCustomerId as string }));
  if (identities.length === 0) return null;
  const base = { id: event.id, type: event.type, occurredAt: event.occurredAt, identities };
  const keys = (v: unknown) => (Array.isArray(v) ? v.map(customerGid) : []);
  switch (event.type) {
    case "customer.updated":
      return { ...base, customerId: customerGid(p.customerKey), changes: (p.changes as Record<string, unknown>) ?? {} };
    case "customer.merged":
      return { ...base, customerId: customerGid(p.survivorKey), survivorId: customerGid(p.survivorKey), absorbedIds: keys(p.absorbedKeys) };
    case "customer.unmerged":
      return { ...base, customerId: customerGid(p.customerKey), restoredIds: keys(p.restoredKeys) };
    default:
      return null;
  }
}

/**
 * Queues one delivery per subscribed channel an event concerns. It only writes rows:
 * the posting is the dispatcher's, in its own transactions.
 */
export function outboundSubscriptions(env: Record<string, string | undefined>, clock: Clock): Subscription[] {
  const cfg = outboundConfig(env);
  const channels = Object.keys(cfg.targets) as Channel[];
  if (channels.length === 0) return [];
  return [
    {
      consumer: OUTBOUND_CONSUMER,
      types: [...OUTBOUND_EVENT_TYPES],
      async apply(em, event) {
        const rows = channels
          .map((channel) => ({ channel, body: outboundBody(event, channel) }))
          .filter((r): r is { channel: Channel; body: OutboundBody } => r.body !== null);
        if (rows.length === 0) return;
        const now = clock.now();
        await em.insert(
          OutboundDeliveryRow,
          rows.map(({ channel, body }) => ({
            channel,
            eventId: event.id,
            type: event.type,
            payload: body,
            status: DeliveryStatus.PENDING,
            attempts: 0,
            nextAttemptAt: now,
            lastError: null,
            deliveredAt: null,
            createdAt: now,
          })) as never,
        );
      },
    },
  ];
}

// ---------------------------------------------------------------- dispatcher

type Attempt = { ok: true } | { ok: false; error: string };

/** The Standard Webhooks message id: stable across retries, so receivers can dedupe. */
export const webhookId = (row: Pick<OutboundDeliveryRow, "eventId" | "channel">) => `${row.eventId}_${row.channel}`;

async function post(target: { url: string; signer: Webhook }, row: OutboundDeliveryRow, at: Date): Promise<Attempt> {
  const body = JSON.stringify(row.payload);
  const id = webhookId(row);
  try {
    const res = await fetch(target.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "OrderHub-Webhooks/1",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": target.signer.sign(id, at, body),
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    // The receiver's body is not ours to read or keep.
    await res.body?.cancel().catch(() => undefined);
    return res.status >= 200 && res.status < 300 ? { ok: true } : { ok: false, error: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: unknown } };
    if (e.name === "TimeoutError" || e.name === "AbortError") return { ok: false, error: `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` };
    const code = typeof e.cause?.code === "string" && /^[A-Z0-9_]{2,40}$/.test(e.cause.code) ? ` (${e.cause.code})` : "";
    return { ok: false, error: `connection failed${code}` };
  }
}

/**
 * Sends due deliveries. Runs every OUTBOUND_POLL_SECONDS; tests call runOnce with a
 * moved clock. Runs never overlap: a call while one is running waits for it, then runs.
 * Returns how many deliveries were attempted.
 */
export function outboundDispatcher(ds: DataSource, clock: Clock, env: Record<string, string | undefined>): BackgroundJob {
  const cfg = outboundConfig(env);
  const targets = Object.entries(cfg.targets).map(([channel, t]) => ({ channel: channel as Channel, url: t!.url, signer: new Webhook(t!.secret) }));
  const repo = () => ds.getRepository(OutboundDeliveryRow);
  // Writes go through inTransaction: on SQLite the driver shares one connection, and a
  // bare write there would join (and be rolled back with) whatever transaction is open on it.
  const write = (where: FindOptionsWhere<OutboundDeliveryRow>, changes: Parameters<DataSource["manager"]["update"]>[2]) =>
    inTransaction(ds, (em) => em.update(OutboundDeliveryRow, where, changes));

  async function drainChannel(target: (typeof targets)[number]): Promise<number> {
    const rows = await repo().find({ where: { status: DeliveryStatus.PENDING, channel: target.channel }, order: { id: "ASC" }, take: BATCH });
    let attempted = 0;
    for (const row of rows) {
      const now = clock.now();
      // The oldest pending delivery goes first; later ones wait behind it.
      if (row.nextAttemptAt.getTime() > now.getTime()) break;
      // The attempt is counted before it is made, by a conditional update that also leases
      // the delivery (it is not due again until the lease ends): of several dispatchers (one
      // per instance) only the one that counted it sends it, and one that reads the row
      // while the attempt is under way sees it not due and leaves this channel to it, so its
      // deliveries stay in order. If the sender dies, the lease runs out and it is retried.
      const attempts = row.attempts + 1;
      const claimed = await write(
        { id: row.id, status: DeliveryStatus.PENDING, attempts: row.attempts, nextAttemptAt: LessThanOrEqual(now) },
        { attempts, nextAttemptAt: new Date(now.getTime() + ATTEMPT_LEASE_MS) },
      );
      if (claimed.affected !== 1) break;
      const outcome = await post(target, row, now);
      attempted++;
      const ours = { id: row.id, status: DeliveryStatus.PENDING, attempts };
      if (outcome.ok) {
        await write(ours, { status: DeliveryStatus.DELIVERED, deliveredAt: clock.now(), lastError: null });
        continue;
      }
      const next = afterFailure(attempts, now, cfg);
      await write(ours, { status: next.status, nextAttemptAt: next.nextAttemptAt, lastError: outcome.error.slice(0, 300) });
      if (next.status === DeliveryStatus.FAILED) {
        log().warn({ component: "outbound", channel: target.channel, webhookId: webhookId(row), attempts, error: redacted(outcome.error) }, "outbound delivery failed too often; giving up");
        continue;
      }
      break;
    }
    return attempted;
  }

  async function tick(): Promise<number> {
    if (targets.length === 0 || !ds.isInitialized) return 0;
    // Cheap gate on the (status, nextAttemptAt) index before looking per channel.
    const due = await repo().count({ where: { status: DeliveryStatus.PENDING, nextAttemptAt: LessThanOrEqual(clock.now()) } });
    if (due === 0) return 0;
    const counts = await Promise.all(targets.map(drainChannel));
    return counts.reduce((a, b) => a + b, 0);
  }

  return intervalJob(cfg.pollSeconds * 1000, tick, (err) => log().error({ component: "outbound", err }, "outbound deliveries failed; next run retries"));
}

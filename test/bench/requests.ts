import { Webhook } from "standardwebhooks";
import { requestTarget, signInternalRequest } from "../../subgraphs/kernel/internal-auth";
import type { CanonicalEvent } from "../../subgraphs/orders/channels/canonical";
import type { BenchBuyer } from "./fill";

/**
 * What the load generator sends. Shared by the load child (autocannon) and by the
 * spot checks in run.ts, so the checked requests are built exactly like the measured ones.
 */

/** One fixed text: only the variables change, so the gateway plans it once and reuses the plan. */
export const STOREFRONT_QUERY =
  "query MyOrders($first: Int!, $after: String) { me { id displayName tier orders(first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { cursor node { id number channel status placedAt total { amount currencyCode } customer { id displayName } lines { id quantity unitPrice { amount currencyCode } product { id sku title } } afterSalesCases { id type status } } } } } }";

/** The orders part of the storefront query, as the orders subgraph sees it. */
export const SUBGRAPH_ORDERS_QUERY =
  "query($first:Int){ orders(first:$first){ pageInfo{hasNextPage endCursor} edges{ cursor node{ id number channel status placedAt total{amount currencyCode} buyerChannelCustomerId lines{ id quantity channelSkuId unitPrice{amount currencyCode} } } } } }";

export const PAGE_SIZES = [5, 10, 20] as const;

interface JobBase {
  url: string;
  seconds: number;
  connections: number;
}

/** Through the gateway: one bearer token per customer. */
export interface GatewayJob extends JobBase {
  target: "gateway";
  tokens: string[];
}

/** Straight to the orders subgraph: encoded principals, signed per request like the gateway does. */
export interface SubgraphJob extends JobBase {
  target: "subgraph";
  secret: string;
  principals: string[];
}

/**
 * Channel webhooks: POST /webhooks/web on the gateway, every request a new order.created
 * event (new eventId, new channelOrderId), signed per request with the channel's secret.
 */
export interface WebhookJob extends JobBase {
  target: "webhook";
  /** The web channel's Standard Webhooks secret (whsec_...), as the hub has it in WEBHOOK_SECRET_WEB. */
  webhookSecret: string;
  /** Makes event and order ids unique per run: the warm-up and the measured run use different tags. */
  runTag: string;
  /** Buyers of the web channel; events rotate over them. */
  buyers: BenchBuyer[];
  /** Channel SKUs the catalog maps on the web channel. */
  skus: Array<{ channelSkuId: string; title: string }>;
}

export type LoadJob = GatewayJob | SubgraphJob | WebhookJob;

export interface BuiltRequest {
  headers: Record<string, string>;
  body: string;
}

/**
 * Request number i: walks the customers in turn and moves to the next page size after
 * each pass, so every (customer, first) pair comes up and no two neighbours are alike.
 */
export function buildRequest(job: LoadJob, i: number): BuiltRequest {
  if (job.target === "webhook") return buildWebhookRequest(job, i);
  const callers = job.target === "gateway" ? job.tokens : job.principals;
  const caller = callers[i % callers.length];
  const first = PAGE_SIZES[Math.floor(i / callers.length) % PAGE_SIZES.length];
  const json = { "content-type": "application/json" };
  if (job.target === "gateway") {
    const body = JSON.stringify({ query: STOREFRONT_QUERY, variables: { first, after: null } });
    return { headers: { ...json, authorization: `Bearer ${caller}` }, body };
  }
  const body = JSON.stringify({ query: SUBGRAPH_ORDERS_QUERY, variables: { first } });
  // Signed fresh each time: the subgraph takes each signature once, within 2 minutes.
  return { headers: { ...json, ...signInternalRequest(job.secret, caller, { service: "orders", method: "POST", target: requestTarget(job.url), body }) }, body };
}

/** The order.created event of webhook request i: 1 to 3 lines of distinct mapped SKUs, a buyer from the pool, paid. */
export function webhookEvent(job: WebhookJob, i: number, now = new Date()): CanonicalEvent {
  const buyer = job.buyers[i % job.buyers.length];
  const lineCount = 1 + (i % 3);
  // Steps of 31 over 100 SKUs: the (at most 3) lines of one order never share a SKU.
  const lines = Array.from({ length: lineCount }, (_, k) => {
    const sku = job.skus[(i * 7 + k * 31) % job.skus.length];
    return { channelSkuId: sku.channelSkuId, title: sku.title, quantity: 1 + ((i + k) % 3), unitPrice: "99.90" };
  });
  const at = now.toISOString();
  return {
    eventId: `bench-${job.runTag}-evt-${i}`,
    type: "order.created",
    occurredAt: at,
    order: {
      channelOrderId: `bench-${job.runTag}-${i}`,
      currency: "CNY",
      placedAt: at,
      buyer: { channelCustomerId: buyer.channelCustomerId, name: buyer.name, phone: buyer.phone },
      receiver: { name: buyer.name, phone: buyer.phone, address: buyer.address, isBuyer: true },
      lines,
      shippingFee: "8.00",
    },
    payment: { paidAt: at, method: "wechat_pay", transactionId: `bench-${job.runTag}-pay-${i}` },
  };
}

const signers = new Map<string, Webhook>();

/** Signed fresh per request (new Date()), exactly as a channel would: the gateway refuses >5 min skew. */
function buildWebhookRequest(job: WebhookJob, i: number): BuiltRequest {
  let signer = signers.get(job.webhookSecret);
  if (!signer) signers.set(job.webhookSecret, (signer = new Webhook(job.webhookSecret)));
  const now = new Date();
  const body = JSON.stringify(webhookEvent(job, i, now));
  const msgId = `msg_${job.runTag}_${i}`;
  return {
    headers: {
      "content-type": "application/json",
      "webhook-id": msgId,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": signer.sign(msgId, now, body),
    },
    body,
  };
}

/** A webhook reply counts as applied when it is 2xx and every result says "applied". */
export function allApplied(status: number, body: string): boolean {
  if (status < 200 || status > 299) return false;
  try {
    const results = (JSON.parse(body) as { results?: Array<{ outcome?: string }> }).results;
    return Array.isArray(results) && results.length > 0 && results.every((r) => r.outcome === "applied");
  } catch {
    return false;
  }
}

import { signInternalRequest } from "../../subgraphs/kernel/internal-auth";

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

export type LoadJob = GatewayJob | SubgraphJob;

export interface BuiltRequest {
  headers: Record<string, string>;
  body: string;
}

/**
 * Request number i: walks the customers in turn and moves to the next page size after
 * each pass, so every (customer, first) pair comes up and no two neighbours are alike.
 */
export function buildRequest(job: LoadJob, i: number): BuiltRequest {
  const callers = job.target === "gateway" ? job.tokens : job.principals;
  const caller = callers[i % callers.length];
  const first = PAGE_SIZES[Math.floor(i / callers.length) % PAGE_SIZES.length];
  const json = { "content-type": "application/json" };
  if (job.target === "gateway") {
    const body = JSON.stringify({ query: STOREFRONT_QUERY, variables: { first, after: null } });
    return { headers: { ...json, authorization: `Bearer ${caller}` }, body };
  }
  const body = JSON.stringify({ query: SUBGRAPH_ORDERS_QUERY, variables: { first } });
  // Signed fresh each time: the subgraph refuses timestamps more than 5 minutes off.
  return { headers: { ...json, ...signInternalRequest(job.secret, caller, body) }, body };
}

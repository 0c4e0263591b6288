import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import type { TestHub } from "./hub";

/**
 * A data folder made by the last release that created its SQLite files from the entities
 * (TypeORM synchronize, no migrations table): `npm start` on an empty folder, i.e. the demo
 * data, with the event history (published outbox rows, processed-event marks) cut to the
 * newest 20 rows per file and the files vacuumed and gzipped to keep the fixture small.
 * `expected.json.gz` is what that release answered to the queries below on this folder.
 */
const FIXTURE = path.join(__dirname, "..", "fixtures", "synchronized-data");

/** Unpacks the fixture's .sqlite files into a new temporary folder and returns it. */
export function copyPreviousReleaseData(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "orderhub-previous-release-"));
  for (const file of readdirSync(FIXTURE).filter((f) => f.endsWith(".sqlite.gz"))) {
    writeFileSync(path.join(dir, file.replace(/\.gz$/, "")), gunzipSync(readFileSync(path.join(FIXTURE, file))));
  }
  return dir;
}

export function expectedFromPreviousRelease(): Snapshot {
  return JSON.parse(gunzipSync(readFileSync(path.join(FIXTURE, "expected.json.gz"))).toString("utf8")) as Snapshot;
}

export interface Snapshot {
  orders: unknown[];
  customers: unknown[];
  products: unknown[];
  afterSalesCases: unknown[];
}

const QUERIES: Record<keyof Snapshot, string> = {
  orders: `query($after: String) { orders(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node {
    id number channel channelOrderId buyerChannelCustomerId status placedAt statusChangedAt onHold holdReason
    subtotal { amount currencyCode } discount { amount } shippingFee { amount } total { amount currencyCode }
    shippingAddress { province city district detail }
    customer { id }
    lines { id channelSkuId title quantity unitPrice { amount } discount { amount } product { sku } }
  } } } }`,
  customers: `query($after: String) { customers(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node {
    id displayName phone tier marketingOptIn address { code province city district detail }
    identities { id channel channelCustomerId name phone reportedTier observedAt }
  } } } }`,
  products: `query($after: String) { products(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node {
    id sku title attributes { name value } channelSkus { channel channelSkuId }
  } } } }`,
  afterSalesCases: `query($after: String) { afterSalesCases(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node {
    id type status reason createdAt requestedAmount { amount currencyCode }
    lines { quantity amount { amount } orderLine { id } }
    order { id number }
  } } } }`,
};

/** Every order, customer, product and after-sales case the gateway shows an admin, page by page. */
export async function everythingVisible(hub: TestHub): Promise<Snapshot> {
  const all = {} as Snapshot;
  for (const [field, query] of Object.entries(QUERIES) as Array<[keyof Snapshot, string]>) {
    all[field] = [];
    for (let after: string | null = null; ; ) {
      const page: any = await hub.ok(query, { after });
      all[field].push(...page[field].edges.map((e: { node: unknown }) => e.node));
      if (!page[field].pageInfo.hasNextPage) break;
      after = page[field].pageInfo.endCursor;
    }
  }
  return all;
}

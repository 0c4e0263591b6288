import DataLoader from "dataloader";
import { In, type DataSource, type SelectQueryBuilder } from "typeorm";
import { BuyerLinkRow } from "../kernel/buyer-links";
import { hasRole, isStaff, type Principal } from "../kernel/principal";
import { MAX_BATCH, padIds, PREPARED } from "../kernel/prepared-reads";
import { AfterSalesCaseRow, AfterSalesLineRow, OrderRefRow } from "./entities";

/** Which cases a caller may read: all (staff), those on their own orders (shoppers), or none. */
export type ViewerScope = { kind: "all" } | { kind: "customer"; customerKey: number } | { kind: "none" };

export function viewerScope(principal: Principal | null): ViewerScope {
  if (isStaff(principal)) return { kind: "all" };
  if (hasRole(principal, "customer") && principal?.customerKey) return { kind: "customer", customerKey: principal.customerKey };
  return { kind: "none" };
}

/**
 * Narrows a query on cases (alias `c`) to what the viewer may read. Ownership is decided
 * in SQL through the order's buyer and the buyer links, so a shopper's page is filled
 * with their own cases instead of being thinned out in memory. Returns false when the
 * viewer can see nothing, so the caller can skip the query.
 */
export function scopeToViewer(qb: SelectQueryBuilder<AfterSalesCaseRow>, scope: ViewerScope): boolean {
  if (scope.kind === "none") return false;
  if (scope.kind === "customer") {
    qb.innerJoin(OrderRefRow, "o", "o.orderKey = c.orderKey")
      .innerJoin(BuyerLinkRow, "b", "b.channel = o.channel AND b.channelCustomerId = o.buyerChannelCustomerId")
      .andWhere("b.customerKey = :viewerCustomerKey", { viewerCustomerKey: scope.customerKey });
  }
  return true;
}

/** Per-request loaders: one statement per relation whatever the page size, and no batching across callers. */
export function createLoaders(ds: DataSource, principal: Principal | null) {
  const scope = viewerScope(principal);
  const cases = () => ds.getRepository(AfterSalesCaseRow).createQueryBuilder("c");

  /** A case by key, or null when it does not exist or the viewer may not see it. */
  const caseById = new DataLoader<number, AfterSalesCaseRow | null>(async (keys) => {
    const qb = cases().where("c.id IN (:...keys)", { keys: [...new Set(keys)] });
    const rows = scopeToViewer(qb, scope) ? await qb.getMany() : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return keys.map((k) => byId.get(k) ?? null);
  });

  /** The visible cases of each order, newest first. */
  const casesByOrder = new DataLoader<number, AfterSalesCaseRow[]>(async (orderKeys) => {
    // The storefront's read: prepared once, the key list padded so its text repeats.
    const qb = cases().where("c.orderKey IN (:...orderKeys)", { orderKeys: padIds([...new Set(orderKeys)]) }).orderBy("c.id", "DESC").comment(PREPARED);
    const rows = scopeToViewer(qb, scope) ? await qb.getMany() : [];
    rows.forEach((r) => caseById.prime(r.id, r));
    const byOrder = groupBy(rows, (r) => r.orderKey);
    return orderKeys.map((k) => byOrder.get(k) ?? []);
  }, { maxBatchSize: MAX_BATCH });

  const linesByCase = new DataLoader<number, AfterSalesLineRow[]>(async (caseKeys) => {
    const rows = await ds.getRepository(AfterSalesLineRow).find({ where: { caseId: In([...new Set(caseKeys)]) }, order: { id: "ASC" } });
    const byCase = groupBy(rows, (r) => r.caseId);
    return caseKeys.map((k) => byCase.get(k) ?? []);
  });

  return { scope, caseById, casesByOrder, linesByCase };
}

function groupBy<T, K>(rows: T[], keyOf: (r: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const r of rows) {
    const group = groups.get(keyOf(r));
    if (group) group.push(r);
    else groups.set(keyOf(r), [r]);
  }
  return groups;
}

export type AftersalesLoaders = ReturnType<typeof createLoaders>;

import type { DataSource, EntityManager } from "typeorm";
import { BuyerLinkRow } from "../kernel/buyer-links";
import { inTransaction, writeLock } from "../kernel/database";
import { hubError, notFound } from "../kernel/errors";
import { appendEvent } from "../kernel/events";
import { toGlobalId } from "../kernel/global-id";
import {
  AfterSalesStatus,
  checkOrderStatus,
  checkRequestShape,
  OPEN_STATUSES,
  planRequest,
  type AfterSalesType,
  type LineClaim,
  type Problem,
  type RequestedLine,
} from "./domain";
import { AfterSalesCaseRow, AfterSalesLineRow, OrderRefRow } from "./entities";
import type { ViewerScope } from "./loaders";

/**
 * Opening after-sales cases: the request's rules (domain.ts) applied to what this
 * subgraph knows of the order, and the case written with its event in one transaction.
 */

export const CASE_REQUESTED = "aftersales.case_requested";

export interface CaseRequest {
  orderKey: number;
  type: AfterSalesType;
  reason: string;
  lines: RequestedLine[];
  /** The principal's `sub`. */
  requestedBy: string;
  /** Whose orders the caller may open cases on. */
  scope: ViewerScope;
}

export interface OpenedCase {
  row: AfterSalesCaseRow;
  lineRows: AfterSalesLineRow[];
}

function problemError(p: Problem) {
  return hubError(p.code, p.message, { field: p.field, ...p.extra });
}

/**
 * Opens a case, or throws the first problem: the request's own mistakes, an order the
 * caller cannot see (NOT_FOUND, the same for "no such order" and "not yours", so IDs
 * cannot be probed), an order that is not paid or is cancelled (CONFLICT), or more
 * units than are left (CONFLICT). A refused request writes nothing.
 */
export async function requestCase(ds: DataSource, req: CaseRequest): Promise<OpenedCase> {
  // Mistakes in the request itself are reported before anything is looked up.
  const shape = checkRequestShape(req.reason, req.lines);
  if (shape) throw problemError(shape);
  const orderName = toGlobalId("Order", req.orderKey);
  const unknownOrder = () => notFound(`No order ${orderName} that you can see.`);
  if (!(await mayRequestOn(ds, req.scope, req.orderKey))) throw unknownOrder();

  return inTransaction(ds, async (em) => {
    // The order ref's row lock serializes requests on one order, so two cannot both claim the last unit.
    const ref = await em.findOne(OrderRefRow, { where: { orderKey: req.orderKey }, lock: writeLock(em) });
    if (!ref) throw unknownOrder();
    const notPaid = checkOrderStatus(ref.status, orderName);
    if (notPaid) throw problemError(notPaid);
    const plan = planRequest({
      reason: req.reason,
      lines: req.lines,
      orderLines: ref.lines,
      claims: await openClaims(em, req.orderKey),
      lineName: (lineKey) => toGlobalId("OrderLine", lineKey),
    });
    if (!plan.ok) throw problemError(plan.problem);

    const row = await em.save(
      em.create(AfterSalesCaseRow, {
        orderKey: req.orderKey,
        type: req.type,
        status: AfterSalesStatus.REQUESTED,
        reason: plan.reason,
        currency: ref.currency,
        requestedAmountMinor: plan.totalMinor,
        requestedBy: req.requestedBy.slice(0, 120),
      }),
    );
    const lineRows = await em.save(
      plan.lines.map((l) => em.create(AfterSalesLineRow, { caseId: row.id, orderLineKey: l.lineKey, quantity: l.quantity, amountMinor: l.amountMinor })),
    );
    await appendEvent(em, {
      aggregateId: toGlobalId("AfterSalesCase", row.id),
      type: CASE_REQUESTED,
      source: "api",
      actor: req.requestedBy,
      payload: {
        caseKey: row.id,
        orderKey: req.orderKey,
        type: row.type,
        status: row.status,
        reason: row.reason,
        currency: row.currency,
        requestedAmountMinor: row.requestedAmountMinor,
        lines: plan.lines.map((l) => ({ orderLineKey: l.lineKey, quantity: l.quantity, amountMinor: l.amountMinor })),
      },
    });
    return { row, lineRows };
  });
}

/**
 * Whether the caller may open a case on this order. Asked before the transaction: the
 * buyer of an order never changes, and a query inside it would wait for a second
 * pooled connection while holding the first.
 */
async function mayRequestOn(ds: DataSource, scope: ViewerScope, orderKey: number): Promise<boolean> {
  if (scope.kind === "all") return true;
  if (scope.kind === "none") return false;
  const ref = await ds.getRepository(OrderRefRow).findOneBy({ orderKey });
  if (!ref) return false;
  const link = await ds.getRepository(BuyerLinkRow).findOneBy({ channel: ref.channel, channelCustomerId: ref.buyerChannelCustomerId });
  return link?.customerKey === scope.customerKey;
}

/** Units and amounts already held by open cases on each line of the order. */
async function openClaims(em: EntityManager, orderKey: number): Promise<Map<number, LineClaim>> {
  const rows = await em
    .createQueryBuilder(AfterSalesLineRow, "l")
    .innerJoin(AfterSalesCaseRow, "c", "c.id = l.caseId")
    .select("l.orderLineKey", "lineKey")
    .addSelect("SUM(l.quantity)", "quantity")
    .addSelect("SUM(l.amountMinor)", "amountMinor")
    .where("c.orderKey = :orderKey", { orderKey })
    .andWhere("c.status IN (:...open)", { open: OPEN_STATUSES })
    .groupBy("l.orderLineKey")
    .getRawMany<{ lineKey: number | string; quantity: number | string; amountMinor: number | string }>();
  // MySQL returns SUM() as a decimal string.
  return new Map(rows.map((r) => [Number(r.lineKey), { quantity: Number(r.quantity), amountMinor: Number(r.amountMinor) }]));
}

import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import type { EntityManager } from "typeorm";
import { buyerKey } from "../kernel/buyer-links";
import { connectionType, PageArgs, paginate } from "../kernel/connection";
import { inTransaction, writeLock } from "../kernel/database";
import { badInput, forbidden, hubError, notFound } from "../kernel/errors";
import { appendEvent } from "../kernel/events";
import { parseGlobalId, toGlobalId, type NodeType } from "../kernel/global-id";
import { hasRole, requireSignedIn, type Principal } from "../kernel/principal";
import type { SubgraphContext } from "../kernel/subgraph";
import { AfterSalesStatus, checkRequestShape, OPEN_STATUSES, planRequest, type LineClaim, type Problem, type RequestedLine } from "./domain";
import { AfterSalesCaseRow, AfterSalesLineRow, OrderRefRow } from "./entities";
import { scopeToViewer, type AftersalesLoaders, type ViewerScope } from "./loaders";
import {
  AfterSalesCase,
  AfterSalesCaseFilter,
  AfterSalesLine,
  Order,
  orderStub,
  RequestAfterSalesInput,
  toCase,
  toLine,
} from "./schema";

type Ctx = SubgraphContext<AftersalesLoaders>;

export const AfterSalesCaseConnection = connectionType(AfterSalesCase, "AfterSalesCase");

export const CASE_REQUESTED = "aftersales.case_requested";

/** Customer service may open a case for any shopper; a shopper only on their own orders; other staff not at all. */
function requestScope(principal: Principal): ViewerScope {
  if (hasRole(principal, "cs_agent", "cs_supervisor", "admin")) return { kind: "all" };
  if (hasRole(principal, "customer")) return principal.customerKey ? { kind: "customer", customerKey: principal.customerKey } : { kind: "none" };
  throw forbidden("Requesting after-sales needs one of the roles: customer, cs_agent, cs_supervisor, admin.");
}

/** parseGlobalId, with the input field named in the error so a form can point at it. */
function parseId(id: string, type: NodeType, field: string): number {
  try {
    return parseGlobalId(id, type);
  } catch (e) {
    throw badInput(`${field}: ${(e as Error).message}`, { field, expectedType: type });
  }
}

function problemError(p: Problem) {
  return hubError(p.code, p.message, { field: p.field, ...p.extra });
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

/**
 * Whether the caller may open a case on this order. Asked before the transaction: the
 * buyer of an order never changes, and a loader query inside it would wait for a second
 * pooled connection while holding the first.
 */
async function mayRequestOn(ctx: Ctx, scope: ViewerScope, orderKey: number): Promise<boolean> {
  if (scope.kind === "all") return true;
  if (scope.kind === "none") return false;
  const ref = await ctx.loaders.orderRefByKey.load(orderKey);
  if (!ref) return false;
  return (await ctx.loaders.buyerOwner.load(buyerKey(ref.channel, ref.buyerChannelCustomerId))) === scope.customerKey;
}

@Resolver(() => AfterSalesCase)
export class AfterSalesCaseResolver {
  @Query(() => AfterSalesCaseConnection, {
    description: "After-sales cases, newest first. Staff see all; a shopper sees the cases on their own orders.",
  })
  async afterSalesCases(
    @Ctx() ctx: Ctx,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("filter", () => AfterSalesCaseFilter, { nullable: true }) filter?: AfterSalesCaseFilter,
  ) {
    const principal = requireSignedIn(ctx.principal);
    const scope = ctx.loaders.scope;
    if (scope.kind === "none" && !hasRole(principal, "customer")) throw forbidden("Listing after-sales cases needs a staff or customer role.");
    const qb = ctx.ds.getRepository(AfterSalesCaseRow).createQueryBuilder("c");
    if (filter?.orderId) qb.andWhere("c.orderKey = :orderKey", { orderKey: parseId(filter.orderId, "Order", "filter.orderId") });
    if (filter?.status) qb.andWhere("c.status = :status", { status: filter.status });
    if (filter?.type) qb.andWhere("c.type = :type", { type: filter.type });
    if (!scopeToViewer(qb, scope)) qb.andWhere("1 = 0"); // a viewer who can see no case gets an empty page
    return paginate(qb, page, { order: "DESC", keys: [{ column: "c.id", kind: "n", of: (r) => r.id }] }, (r) => {
      ctx.loaders.caseById.prime(r.id, r);
      return toCase(r);
    });
  }

  @FieldResolver(() => [AfterSalesLine])
  async lines(@Root() c: AfterSalesCase, @Ctx() ctx: Ctx): Promise<AfterSalesLine[]> {
    return (await ctx.loaders.linesByCase.load(c.key)).map((l) => toLine(l, c.currency));
  }

  @FieldResolver(() => Order, { nullable: true, description: "The order the case is about; the orders subgraph resolves its fields." })
  order(@Root() c: AfterSalesCase): Order {
    return orderStub(c.orderKey);
  }

  @Mutation(() => AfterSalesCase, {
    description:
      "Opens an after-sales case on units of one order (the shopper, or cs_agent, cs_supervisor, admin on their behalf). " +
      "Each line's amount is its pro-rata part of the line's net price.",
  })
  async requestAfterSales(@Arg("input") input: RequestAfterSalesInput, @Ctx() ctx: Ctx): Promise<AfterSalesCase> {
    const principal = requireSignedIn(ctx.principal);
    const scope = requestScope(principal);
    const orderKey = parseId(input.orderId, "Order", "orderId");
    const lines: RequestedLine[] = input.lines.map((l, index) => ({
      index,
      lineKey: parseId(l.orderLineId, "OrderLine", `lines[${index}].orderLineId`),
      quantity: l.quantity,
    }));
    // Mistakes in the request itself are reported before anything is looked up.
    const shape = checkRequestShape(input.reason, lines);
    if (shape) throw problemError(shape);
    // Same answer for "no such order" and "not yours", so IDs cannot be probed.
    const unknownOrder = () => notFound(`No order ${toGlobalId("Order", orderKey)} that you can see.`);
    if (!(await mayRequestOn(ctx, scope, orderKey))) throw unknownOrder();

    const created = await inTransaction(ctx.ds, async (em) => {
      // The order ref's row lock serializes requests on one order, so two cannot both claim the last unit.
      const ref = await em.findOne(OrderRefRow, { where: { orderKey }, lock: writeLock(em) });
      if (!ref) throw unknownOrder();
      const plan = planRequest({
        reason: input.reason,
        lines,
        orderLines: ref.lines,
        claims: await openClaims(em, orderKey),
        lineName: (lineKey) => toGlobalId("OrderLine", lineKey),
      });
      if (!plan.ok) throw problemError(plan.problem);

      const row = await em.save(
        em.create(AfterSalesCaseRow, {
          orderKey,
          type: input.type,
          status: AfterSalesStatus.REQUESTED,
          reason: plan.reason,
          currency: ref.currency,
          requestedAmountMinor: plan.totalMinor,
          requestedBy: principal.sub.slice(0, 120),
        }),
      );
      const lineRows = await em.save(
        plan.lines.map((l) => em.create(AfterSalesLineRow, { caseId: row.id, orderLineKey: l.lineKey, quantity: l.quantity, amountMinor: l.amountMinor })),
      );
      await appendEvent(em, {
        aggregateId: toGlobalId("AfterSalesCase", row.id),
        type: CASE_REQUESTED,
        source: "api",
        actor: principal.sub,
        payload: {
          caseKey: row.id,
          orderKey,
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
    void ctx.relay.poke();
    ctx.loaders.linesByCase.prime(created.row.id, created.lineRows);
    return toCase(created.row);
  }
}

@Resolver(() => Order)
export class OrderAfterSalesResolver {
  @FieldResolver(() => [AfterSalesCase], { nullable: true, description: "The order's after-sales cases that you can see, newest first." })
  async afterSalesCases(@Root() order: Order, @Ctx() ctx: Ctx): Promise<AfterSalesCase[]> {
    requireSignedIn(ctx.principal);
    return (await ctx.loaders.casesByOrder.load(parseGlobalId(order.id, "Order"))).map(toCase);
  }
}

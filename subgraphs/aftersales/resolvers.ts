import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import { connectionType, PageArgs, paginate } from "../kernel/connection";
import { badInput, forbidden } from "../kernel/errors";
import { parseGlobalId, type NodeType } from "../kernel/global-id";
import { hasRole, requireSignedIn, type Principal } from "../kernel/principal";
import type { SubgraphContext } from "../kernel/subgraph";
import { requestCase } from "./case-service";
import type { RequestedLine } from "./domain";
import { AfterSalesCaseRow } from "./entities";
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
    const created = await requestCase(ctx.ds, {
      orderKey,
      type: input.type,
      reason: input.reason,
      lines,
      requestedBy: principal.sub,
      scope,
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

import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { assertLength } from "../kernel/bounds";
import { buyerKey } from "../kernel/buyer-links";
import { connectionType, PageArgs, paginate } from "../kernel/connection";
import { inTransaction } from "../kernel/database";
import { badInput, notFound } from "../kernel/errors";
import { parseGlobalId } from "../kernel/global-id";
import { requireRole, STAFF_ROLES } from "../kernel/principal";
import { OrderExceptionRow, OrderRow } from "./entities";
import { lockOrder, moveTo, resolveException, setHold } from "./order-service";
import { priorityOf } from "./priority";
import { canSeeOrder, loadVisibleOrder, type Ctx as OrdersContext } from "./resolvers";
import { Order, OrderEvent, OrderException, OrderExceptionFilter, OrderPriority, PriorityLevel, toOrder, toOrderException } from "./schema";
import { OrderStatus } from "./status";

export const OrderExceptionConnection = connectionType(OrderException, "OrderException");

function reasonText(value: string | undefined | null, field: string, required: boolean): string | null {
  const v = value?.trim() ?? "";
  if (required && !v) throw badInput(`${field} is required: say why.`, { field });
  return v ? assertLength(v, field, "reason") : null;
}

@Resolver(() => Order)
export class OrderLifecycleResolver {
  @FieldResolver(() => [OrderEvent], { description: "The order's history, oldest first. Shoppers and BI see it masked by the visibility policy." })
  async events(@Root() order: Order, @Ctx() ctx: OrdersContext): Promise<OrderEvent[]> {
    return (await ctx.loaders.eventsByOrder.load(order.key)).map((e) => ({
      id: e.id,
      sequence: e.sequence,
      type: e.type,
      source: e.source,
      actor: e.actor,
      occurredAt: e.occurredAt,
      recordedAt: e.recordedAt,
      data: JSON.stringify(e.payload),
    }));
  }

  @FieldResolver(() => OrderPriority)
  async priority(@Root() order: Order, @Ctx() ctx: OrdersContext): Promise<OrderPriority> {
    const link = await ctx.loaders.buyerLink.load(buyerKey(order.channel, order.buyerChannelCustomerId));
    const p = priorityOf({
      totalMinor: order.row.totalMinor,
      currency: order.row.currency,
      tier: link?.tier ?? null,
      promisedDeliveryBy: order.promisedDeliveryBy,
      now: ctx.clock.now(),
    });
    return { level: p.level as PriorityLevel, score: p.score, reasons: p.reasons };
  }

  @FieldResolver(() => [OrderException], { description: "Open and resolved exceptions on this order (staff)." })
  async exceptions(@Root() order: Order, @Ctx() ctx: OrdersContext): Promise<OrderException[]> {
    return (await ctx.loaders.exceptionsByOrder.load(order.key)).map(toOrderException);
  }

  @Mutation(() => Order, { description: "Moves an order to another status by the lifecycle rules (warehouse, cs_supervisor, admin). An illegal move is CONFLICT." })
  async transitionOrder(
    @Arg("id", () => ID) id: string,
    @Arg("to", () => OrderStatus) to: OrderStatus,
    @Ctx() ctx: OrdersContext,
    @Arg("reason", () => String, { nullable: true }) reason?: string,
  ): Promise<Order> {
    const principal = requireRole(ctx.principal, "warehouse", "cs_supervisor", "admin");
    const key = parseGlobalId(id, "Order");
    const note = reasonText(reason, "reason", false);
    const row = await inTransaction(ctx.ds, async (em) => moveTo(em, await lockOrder(em, key), [to], { source: "api", actor: principal.sub, reason: note }, ctx.clock));
    void ctx.relay.poke();
    return toOrder(row);
  }

  @Mutation(() => Order, { description: "Pauses automation and the SLA clock for one order (cs_supervisor, admin)." })
  async holdOrder(@Arg("id", () => ID) id: string, @Arg("reason") reason: string, @Ctx() ctx: OrdersContext): Promise<Order> {
    const principal = requireRole(ctx.principal, "cs_supervisor", "admin");
    const key = parseGlobalId(id, "Order");
    const note = reasonText(reason, "reason", true);
    const row = await inTransaction(ctx.ds, (em) => setHold(em, key, true, note, principal.sub, ctx.clock));
    void ctx.relay.poke();
    return toOrder(row);
  }

  @Mutation(() => Order, { description: "Resumes automation for a held order (cs_supervisor, admin); a paid order goes to fulfillment." })
  async releaseOrder(@Arg("id", () => ID) id: string, @Ctx() ctx: OrdersContext): Promise<Order> {
    const principal = requireRole(ctx.principal, "cs_supervisor", "admin");
    const key = parseGlobalId(id, "Order");
    const row = await inTransaction(ctx.ds, (em) => setHold(em, key, false, null, principal.sub, ctx.clock));
    void ctx.relay.poke();
    return toOrder(row);
  }
}

@Resolver(() => OrderException)
export class OrderExceptionResolver {
  @Query(() => OrderExceptionConnection, { description: "The exception queue, oldest first (staff)." })
  async orderExceptions(
    @Ctx() ctx: OrdersContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("filter", () => OrderExceptionFilter, { nullable: true }) filter?: OrderExceptionFilter,
  ) {
    requireRole(ctx.principal, ...STAFF_ROLES);
    const qb = ctx.ds.getRepository(OrderExceptionRow).createQueryBuilder("x");
    if (filter?.kind) qb.andWhere("x.kind = :kind", { kind: filter.kind });
    if (filter?.open === true) qb.andWhere("x.resolvedAt IS NULL");
    if (filter?.open === false) qb.andWhere("x.resolvedAt IS NOT NULL");
    if (filter?.channel) qb.innerJoin(OrderRow, "o", "o.id = x.orderId AND o.channel = :channel", { channel: filter.channel });
    return paginate(qb, page, { order: "ASC", keys: [{ column: "x.id", kind: "n", of: (r) => r.id }] }, toOrderException);
  }

  @FieldResolver(() => Order, { nullable: true })
  async order(@Root() exception: OrderException, @Ctx() ctx: OrdersContext): Promise<Order | null> {
    return loadVisibleOrder(ctx, exception.orderKey);
  }

  @Mutation(() => OrderException, { description: "Marks an exception handled, with a note (cs_agent, cs_supervisor, warehouse, admin)." })
  async resolveOrderException(@Arg("id", () => ID) id: string, @Arg("note") note: string, @Ctx() ctx: OrdersContext): Promise<OrderException> {
    const principal = requireRole(ctx.principal, "cs_agent", "cs_supervisor", "warehouse", "admin");
    const key = parseGlobalId(id, "OrderException");
    const text = reasonText(note, "note", true)!;
    const row = await inTransaction(ctx.ds, (em) => resolveException(em, key, principal.sub, text, ctx.clock));
    void ctx.relay.poke();
    return toOrderException(row);
  }
}

/** Node and entity resolution for exceptions: staff only. */
export async function loadVisibleException(ctx: OrdersContext, key: number): Promise<OrderException | null> {
  requireRole(ctx.principal, ...STAFF_ROLES);
  const row = await ctx.loaders.exceptionById.load(key);
  if (!row) throw notFound(`No order exception ${key}.`);
  const order = await ctx.loaders.orderById.load(row.orderId);
  return order && (await canSeeOrder(ctx, order)) ? toOrderException(row) : null;
}

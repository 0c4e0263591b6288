import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { SelectQueryBuilder } from "typeorm";
import { BuyerLinkRow, buyerKey } from "../kernel/buyer-links";
import { connectionType, PageArgs, paginate, type Keyset } from "../kernel/connection";
import { PREPARED } from "../kernel/prepared-reads";
import { badInput, forbidden } from "../kernel/errors";
import { parseGlobalId } from "../kernel/global-id";
import { parseInstant } from "../kernel/instant";
import { dayInZone } from "../kernel/time-window";
import { pseudonym } from "../kernel/masking";
import { hasRole, isStaff, requireRoleForChannel, requireSignedIn } from "../kernel/principal";
import type { SubgraphContext } from "../kernel/subgraph";
import { OrderRow } from "./entities";
import { ingestOrder } from "./ingest";
import type { OrderLoaders } from "./loaders";
import { Customer, IngestOrderInput, Order, OrderFilter, OrderLine, toOrder, toOrderLine } from "./schema";

export type Ctx = SubgraphContext<OrderLoaders>;

export const OrderConnection = connectionType(Order, "Order");

/** Staff see every order; a shopper only orders whose buyer account is linked to them. */
export async function canSeeOrder(ctx: Ctx, row: OrderRow): Promise<boolean> {
  if (isStaff(ctx.principal)) return true;
  if (!hasRole(ctx.principal, "customer") || !ctx.principal?.customerKey) return false;
  return (await ctx.loaders.buyerOwner.load(buyerKey(row.channel, row.buyerChannelCustomerId))) === ctx.principal.customerKey;
}

export async function loadVisibleOrder(ctx: Ctx, key: number): Promise<Order | null> {
  requireSignedIn(ctx.principal);
  const row = await ctx.loaders.orderById.load(key);
  return row && (await canSeeOrder(ctx, row)) ? toOrder(row) : null;
}

export async function loadVisibleLine(ctx: Ctx, key: number): Promise<OrderLine | null> {
  requireSignedIn(ctx.principal);
  const line = await ctx.loaders.lineById.load(key);
  const order = line && (await ctx.loaders.orderById.load(line.orderId));
  return line && order && (await canSeeOrder(ctx, order)) ? toOrderLine(line, order) : null;
}

/** Newest first, keyset on (placedAt, id): the index ix_orders_* serves every filter. */
const ORDER_KEYSET: Keyset<OrderRow> = {
  order: "DESC",
  keys: [
    {
      column: "o.placedAt",
      kind: "s",
      of: (r) => r.placedAt.toISOString(),
      parse: (v) => {
        // The same strict parser as every other instant; a cursor that fails it is not ours.
        try {
          return parseInstant(v as string, "after");
        } catch {
          return undefined;
        }
      },
    },
    { column: "o.id", kind: "n", of: (r) => r.id },
  ],
};

async function pageOfOrders(ctx: Ctx, qb: SelectQueryBuilder<OrderRow>, page: PageArgs) {
  return paginate(qb, page, ORDER_KEYSET, (r) => {
    ctx.loaders.orderById.prime(r.id, r);
    return toOrder(r);
  });
}

/**
 * Restricts a query to one customer's orders through the buyer-link projection. A
 * shopper's list is the storefront's hot read: prepared once (see prepared-reads.ts).
 */
function ownedBy(qb: SelectQueryBuilder<OrderRow>, customerKey: number) {
  return qb.comment(PREPARED).innerJoin(BuyerLinkRow, "bl", "bl.channel = o.channel AND bl.channelCustomerId = o.buyerChannelCustomerId AND bl.customerKey = :owner", {
    owner: customerKey,
  });
}

@Resolver(() => Order)
export class OrderResolver {
  @Query(() => Order, { nullable: true, description: "An order by global ID; null if it does not exist or is not yours." })
  async order(@Arg("id", () => ID) id: string, @Ctx() ctx: Ctx): Promise<Order | null> {
    return loadVisibleOrder(ctx, parseGlobalId(id, "Order"));
  }

  @Query(() => OrderConnection, { description: "Orders, newest first. Shoppers get their own; staff get all." })
  async orders(
    @Ctx() ctx: Ctx,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("filter", () => OrderFilter, { nullable: true }) filter?: OrderFilter,
  ) {
    const principal = requireSignedIn(ctx.principal);
    const qb = ctx.ds.getRepository(OrderRow).createQueryBuilder("o");
    if (!isStaff(principal)) {
      if (!hasRole(principal, "customer") || !principal.customerKey) throw forbidden("Only shoppers and staff can list orders.");
      ownedBy(qb, principal.customerKey);
    }
    if (filter?.channel) qb.andWhere("o.channel = :channel", { channel: filter.channel });
    if (filter?.status) qb.andWhere("o.status = :status", { status: filter.status });
    if (filter?.channelOrderId) qb.andWhere("o.channelOrderId = :coid", { coid: filter.channelOrderId });
    const placedFrom = filter?.placedFrom != null ? parseInstant(filter.placedFrom, "filter.placedFrom") : null;
    const placedTo = filter?.placedTo != null ? parseInstant(filter.placedTo, "filter.placedTo") : null;
    if (placedFrom) qb.andWhere("o.placedAt >= :from", { from: placedFrom });
    if (placedTo) qb.andWhere("o.placedAt < :to", { to: placedTo });
    if (filter?.placedOnDate || filter?.timeZone) {
      if (!filter.placedOnDate || !filter.timeZone) throw badInput("placedOnDate and timeZone go together.", { field: "filter.timeZone" });
      const day = dayInZone(filter.placedOnDate, filter.timeZone);
      qb.andWhere("o.placedAt >= :dayFrom AND o.placedAt < :dayTo", { dayFrom: day.from, dayTo: day.to });
    }
    if (placedFrom && placedTo && placedFrom > placedTo) {
      throw badInput("placedFrom must not be after placedTo.", { field: "filter.placedFrom" });
    }
    return pageOfOrders(ctx, qb, page);
  }

  @FieldResolver()
  buyerPseudonym(@Root() order: Order, @Ctx() ctx: Ctx): string {
    return pseudonym(ctx.pseudonymKey, order.channel, order.buyerAccount);
  }

  @FieldResolver(() => [OrderLine])
  async lines(@Root() order: Order, @Ctx() ctx: Ctx): Promise<OrderLine[]> {
    const [rows, row] = await Promise.all([ctx.loaders.linesByOrder.load(order.key), ctx.loaders.orderById.load(order.key)]);
    return rows.map((l) => toOrderLine(l, row!));
  }

  @Mutation(() => Order, {
    description: "Records an order from a channel (admin, or a channel token for its own channel). Idempotent per channel and channelOrderId: a repeat returns the stored order.",
  })
  async ingestOrder(@Arg("input") input: IngestOrderInput, @Ctx() ctx: Ctx): Promise<Order> {
    const principal = requireRoleForChannel(ctx.principal, input.channel, "channel", "admin");
    const row = await ingestOrder(ctx.ds, input, principal.sub, ctx.clock);
    void ctx.relay.poke();
    return toOrder(row);
  }
}

@Resolver(() => Customer)
export class CustomerOrdersResolver {
  @FieldResolver(() => OrderConnection, { nullable: true, description: "The customer's orders on every channel, newest first." })
  async orders(
    @Root() customer: Customer,
    @Ctx() ctx: Ctx,
    @Args(() => PageArgs) page: PageArgs,
  ) {
    const principal = requireSignedIn(ctx.principal);
    const key = parseGlobalId(customer.id, "Customer");
    if (!isStaff(principal) && principal.customerKey !== key) throw forbidden("You can only list your own orders.");
    return pageOfOrders(ctx, ownedBy(ctx.ds.getRepository(OrderRow).createQueryBuilder("o"), key), page);
  }
}

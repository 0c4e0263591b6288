import { consumeBuyerLinks, BuyerLinkRow } from "../kernel/buyer-links";
import { parseGlobalId } from "../kernel/global-id";
import type { SubgraphDefinition } from "../kernel/subgraph";
import { OrderLineRow, OrderRow } from "./entities";
import { createLoaders, type OrderLoaders } from "./loaders";
import { migrations } from "./migrations";
import { CustomerOrdersResolver, loadVisibleLine, loadVisibleOrder, OrderResolver, type Ctx } from "./resolvers";
import { Customer } from "./schema";

export const ordersSubgraph: SubgraphDefinition<OrderLoaders> = {
  name: "orders",
  resolvers: [OrderResolver, CustomerOrdersResolver],
  orphanedTypes: [Customer],
  entities: [OrderRow, OrderLineRow, BuyerLinkRow],
  migrations,
  referenceResolvers: {
    Order: {
      __resolveReference: (ref: { id: string }, ctx: Ctx) => loadVisibleOrder(ctx, parseGlobalId(ref.id, "Order")),
    },
    OrderLine: {
      __resolveReference: (ref: { id: string }, ctx: Ctx) => loadVisibleLine(ctx, parseGlobalId(ref.id, "OrderLine")),
    },
    Customer: {
      __resolveReference: (ref: { id: string }) => Object.assign(new Customer(), ref),
    },
  },
  createLoaders: (ds) => createLoaders(ds),
  consume: (ds, bus) => consumeBuyerLinks(ds, bus, "orders.buyer-links"),
};

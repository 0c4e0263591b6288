import { BUYER_LINK_ENTITIES, resolveCustomerPrincipal } from "../kernel/buyer-links";
import { parseGlobalId } from "../kernel/global-id";
import type { SubgraphDefinition } from "../kernel/subgraph";
import { subscriptions } from "./consumers";
import { ChannelEventRow, KnownSkuRow, OrderExceptionRow, OrderLineRow, OrderRow } from "./entities";
import { OrderExceptionResolver, OrderLifecycleResolver, loadVisibleException } from "./lifecycle-resolvers";
import { createLoaders, type OrderLoaders } from "./loaders";
import { migrations } from "./migrations";
import { CustomerOrdersResolver, loadVisibleLine, loadVisibleOrder, OrderResolver, type Ctx } from "./resolvers";
import { Customer } from "./schema";
import { slaWatcher } from "./sla";
import { CHANNEL_EVENTS_PATH, channelEventsRoute } from "./webhook-route";

export const ordersSubgraph: SubgraphDefinition<OrderLoaders> = {
  name: "orders",
  resolvers: [OrderResolver, CustomerOrdersResolver, OrderLifecycleResolver, OrderExceptionResolver],
  orphanedTypes: [Customer],
  entities: [OrderRow, OrderLineRow, ...BUYER_LINK_ENTITIES, ChannelEventRow, OrderExceptionRow, KnownSkuRow],
  migrations,
  referenceResolvers: {
    Order: {
      __resolveReference: (ref: { id: string }, ctx: Ctx) => loadVisibleOrder(ctx, parseGlobalId(ref.id, "Order")),
    },
    OrderLine: {
      __resolveReference: (ref: { id: string }, ctx: Ctx) => loadVisibleLine(ctx, parseGlobalId(ref.id, "OrderLine")),
    },
    OrderException: {
      __resolveReference: (ref: { id: string }, ctx: Ctx) => loadVisibleException(ctx, parseGlobalId(ref.id, "OrderException")),
    },
    Customer: {
      __resolveReference: (ref: { id: string }) => Object.assign(new Customer(), ref),
    },
  },
  resolvePrincipal: resolveCustomerPrincipal,
  createLoaders: (ds) => createLoaders(ds),
  subscriptions,
  jobs: ({ ds, clock, relay, env }) => ({ sla: slaWatcher(ds, clock, relay, env) }),
  routes: (runtime) => ({ [CHANNEL_EVENTS_PATH]: channelEventsRoute(runtime) }),
};

import { parseGlobalId } from "../kernel/global-id";
import type { SubgraphContext, SubgraphDefinition } from "../kernel/subgraph";
import { subscriptions } from "./consumers";
import { ChannelIdentityRow, CustomerRow, MatchCandidateRow, SpendRow } from "./entities";
import { createLoaders, type CustomerLoaders } from "./loaders";
import { migrations } from "./migrations";
import { OutboundDeliveryRow, outboundDispatcher, outboundSubscriptions } from "./outbound";
import { OutboundDeliveryResolver } from "./outbound-resolvers";
import { ChannelIdentityResolver, CustomerChangeResolver, CustomerResolver, loadCustomerNode, MatchCandidateResolver, NodeResolver, OrderCustomerResolver } from "./resolvers";
import { AfterSalesCase, Order, OrderException, OrderLine, Product } from "./schema";

type Ctx = SubgraphContext<CustomerLoaders>;

export const customersSubgraph: SubgraphDefinition<CustomerLoaders> = {
  name: "customers",
  resolvers: [CustomerResolver, ChannelIdentityResolver, OrderCustomerResolver, NodeResolver, MatchCandidateResolver, CustomerChangeResolver, OutboundDeliveryResolver],
  orphanedTypes: [Order, OrderLine, OrderException, Product, AfterSalesCase],
  entities: [CustomerRow, ChannelIdentityRow, MatchCandidateRow, SpendRow, OutboundDeliveryRow],
  migrations,
  referenceResolvers: {
    Customer: {
      __resolveReference: (ref: { id: string }, ctx: Ctx) => loadCustomerNode(ctx, parseGlobalId(ref.id, "Customer")).catch(() => null),
    },
    Order: {
      __resolveReference: (ref: Order) => Object.assign(new Order(), ref),
    },
  },
  createLoaders: (ds) => createLoaders(ds),
  subscriptions: ({ clock, env }) => [...subscriptions({ clock, env }), ...outboundSubscriptions(env, clock)],
  jobs: ({ ds, clock, env }) => ({ outbound: outboundDispatcher(ds, clock, env) }),
};

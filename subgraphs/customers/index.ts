import { parseGlobalId } from "../kernel/global-id";
import type { SubgraphContext, SubgraphDefinition } from "../kernel/subgraph";
import { consume } from "./consumers";
import { ChannelIdentityRow, CustomerRow } from "./entities";
import { createLoaders, type CustomerLoaders } from "./loaders";
import { migrations } from "./migrations";
import { CustomerResolver, loadCustomerNode, NodeResolver, OrderCustomerResolver } from "./resolvers";
import { AfterSalesCase, Order, OrderException, OrderLine, Product } from "./schema";

type Ctx = SubgraphContext<CustomerLoaders>;

export const customersSubgraph: SubgraphDefinition<CustomerLoaders> = {
  name: "customers",
  resolvers: [CustomerResolver, OrderCustomerResolver, NodeResolver],
  orphanedTypes: [Order, OrderLine, OrderException, Product, AfterSalesCase],
  entities: [CustomerRow, ChannelIdentityRow],
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
  consume,
};

import { parseGlobalId } from "../kernel/global-id";
import type { SubgraphContext, SubgraphDefinition } from "../kernel/subgraph";
import { ChannelSkuRow, ProductRow } from "./entities";
import { createLoaders, type ProductLoaders } from "./loaders";
import { migrations } from "./migrations";
import { OrderLineProductResolver, ProductResolver } from "./resolvers";
import { OrderLine, toProduct } from "./schema";

export const productsSubgraph: SubgraphDefinition<ProductLoaders> = {
  name: "products",
  resolvers: [ProductResolver, OrderLineProductResolver],
  orphanedTypes: [OrderLine],
  entities: [ProductRow, ChannelSkuRow],
  migrations,
  referenceResolvers: {
    Product: {
      async __resolveReference(ref: { id: string }, ctx: SubgraphContext<ProductLoaders>) {
        const row = await ctx.loaders.productById.load(parseGlobalId(ref.id, "Product"));
        return row ? toProduct(row) : null;
      },
    },
    OrderLine: {
      __resolveReference(ref: OrderLine) {
        return Object.assign(new OrderLine(), ref);
      },
    },
  },
  createLoaders: (ds) => createLoaders(ds),
};

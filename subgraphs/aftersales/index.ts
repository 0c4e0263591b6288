import { BUYER_LINK_ENTITIES, resolveCustomerPrincipal } from "../kernel/buyer-links";
import { parseGlobalId } from "../kernel/global-id";
import type { SubgraphContext, SubgraphDefinition } from "../kernel/subgraph";
import { subscriptions } from "./consumers";
import { AfterSalesCaseRow, AfterSalesLineRow, OrderRefRow } from "./entities";
import { createLoaders, type AftersalesLoaders } from "./loaders";
import { migrations } from "./migrations";
import { AfterSalesCaseResolver, OrderAfterSalesResolver } from "./resolvers";
import { Order, toCase } from "./schema";

type Ctx = SubgraphContext<AftersalesLoaders>;

export const aftersalesSubgraph: SubgraphDefinition<AftersalesLoaders> = {
  name: "aftersales",
  resolvers: [AfterSalesCaseResolver, OrderAfterSalesResolver],
  entities: [AfterSalesCaseRow, AfterSalesLineRow, OrderRefRow, ...BUYER_LINK_ENTITIES],
  migrations,
  referenceResolvers: {
    AfterSalesCase: {
      // Null, not an error, for a case that does not exist or is not the caller's: node() must not reveal it.
      async __resolveReference(ref: { id: string }, ctx: Ctx) {
        let key: number;
        try {
          key = parseGlobalId(ref.id, "AfterSalesCase");
        } catch {
          return null;
        }
        const row = await ctx.loaders.caseById.load(key);
        return row ? toCase(row) : null;
      },
    },
    Order: {
      // A stub: the orders subgraph decides who reaches an order; afterSalesCases filters by viewer itself.
      __resolveReference: (ref: { id: string }) => Object.assign(new Order(), { id: ref.id }),
    },
  },
  resolvePrincipal: resolveCustomerPrincipal,
  createLoaders: (ds, principal) => createLoaders(ds, principal),
  subscriptions,
};

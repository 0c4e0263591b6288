import type { SubgraphName } from "../subgraphs/kernel/config";
import type { SubgraphDefinition } from "../subgraphs/kernel/subgraph";

/**
 * One subgraph's definition, loaded when asked for. A service process runs one subgraph:
 * it loads that one's entities, resolvers and libraries, not the other three's (the
 * embedded hub and composition take all four from subgraph-list.ts).
 */
export async function loadSubgraph(name: SubgraphName): Promise<SubgraphDefinition<unknown>> {
  switch (name) {
    case "orders":
      return (await import("../subgraphs/orders")).ordersSubgraph as SubgraphDefinition<unknown>;
    case "customers":
      return (await import("../subgraphs/customers")).customersSubgraph as SubgraphDefinition<unknown>;
    case "products":
      return (await import("../subgraphs/products")).productsSubgraph as SubgraphDefinition<unknown>;
    case "aftersales":
      return (await import("../subgraphs/aftersales")).aftersalesSubgraph as SubgraphDefinition<unknown>;
  }
}

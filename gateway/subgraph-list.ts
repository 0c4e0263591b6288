import { aftersalesSubgraph } from "../subgraphs/aftersales";
import { customersSubgraph } from "../subgraphs/customers";
import type { SubgraphName } from "../subgraphs/kernel/config";
import type { SubgraphDefinition } from "../subgraphs/kernel/subgraph";
import { ordersSubgraph } from "../subgraphs/orders";
import { productsSubgraph } from "../subgraphs/products";

/** The four subgraphs, for the embedded hub and for composition. */
export const SUBGRAPHS: Record<SubgraphName, SubgraphDefinition<unknown>> = {
  orders: ordersSubgraph as SubgraphDefinition<unknown>,
  customers: customersSubgraph as SubgraphDefinition<unknown>,
  products: productsSubgraph as SubgraphDefinition<unknown>,
  aftersales: aftersalesSubgraph as SubgraphDefinition<unknown>,
};

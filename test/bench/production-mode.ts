/**
 * Imported first by the benchmark, before anything loads graphql: the hub, its services
 * and the stock gateway all run with NODE_ENV=production, as production runs them
 * (graphql-js and Apollo Server read it once, at load), so both gateways are measured
 * as deployed and on the same footing.
 */
process.env.NODE_ENV = "production";

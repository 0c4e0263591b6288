import { isProduction } from "../subgraphs/kernel/config";

/**
 * Imported first by the process entry points, before anything loads graphql: graphql-js
 * and Apollo Server read NODE_ENV once, and only the exact value "production" turns off
 * graphql-js's development checks (an instanceof check for a second copy of graphql on
 * every schema and AST lookup, a large share of each request's CPU). The hub runs as
 * production for any NODE_ENV but unset, development or test (kernel/config); those
 * values ("staging", "prod", …) are made "production" here so the libraries agree.
 */
if (isProduction(process.env)) process.env.NODE_ENV = "production";

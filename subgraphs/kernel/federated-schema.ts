import "reflect-metadata";
import { buildSubgraphSchema, printSubgraphSchema } from "@apollo/subgraph";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { parse, type GraphQLSchema } from "graphql";
import merge from "lodash.merge";
import { buildSchema, createResolversMap } from "type-graphql";
import type { SubgraphDefinition } from "./subgraph";
import { applyVisibility } from "./visibility";

/**
 * The schema half of a subgraph, on its own: the gateway builds its in-process operations
 * subgraph with it, and composition reads every SDL through it, neither of which opens a
 * database. Kept apart from subgraph.ts so that the gateway process does not load TypeORM,
 * the database drivers and the event machinery a subgraph server needs.
 */

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@inaccessible"])';

export interface BuiltSchema {
  schema: GraphQLSchema;
  /** The subgraph SDL with federation directives, as composition reads it. */
  sdl: string;
}

const schemaCache = new Map<string, BuiltSchema>();

/**
 * Builds the federated schema from type-graphql classes, every field behind the
 * visibility policy (kernel/visibility). Needs no database.
 */
export async function buildFederatedSchema(def: SubgraphDefinition<unknown>): Promise<BuiltSchema> {
  const cached = schemaCache.get(def.name);
  if (cached) return cached;
  const typeGraphQLSchema = await buildSchema({
    resolvers: def.resolvers,
    orphanedTypes: def.orphanedTypes,
    skipCheck: true,
    // Resolvers and services check and bound their input themselves (with the field in
    // the error); type-graphql's class-validator integration is not used or installed.
    validate: false,
  });
  const typeDefs = parse(`${FEDERATION_LINK}\n\n${printSchemaWithDirectives(typeGraphQLSchema)}`);
  const schema = buildSubgraphSchema({
    typeDefs,
    resolvers: merge(createResolversMap(typeGraphQLSchema), def.referenceResolvers) as never,
  });
  applyVisibility(schema);
  const built = { schema, sdl: printSubgraphSchema(schema) };
  schemaCache.set(def.name, built);
  return built;
}

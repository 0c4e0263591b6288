import "reflect-metadata";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { projectRoot } from "../subgraphs/kernel/project-root";
import { SUBGRAPH_DEFAULT_PORTS, SUBGRAPH_NAMES } from "../subgraphs/kernel/config";
import { buildFederatedSchema } from "../subgraphs/kernel/federated-schema";
import { OPERATIONS_SUBGRAPH, operationsSubgraph } from "./operations";
import { SUBGRAPHS } from "./subgraph-list";

export const SCHEMA_DIR = path.join(projectRoot(), "schema");

export interface Composition {
  subgraphSdl: Record<string, string>;
  supergraphSdl: string;
}

/** Served inside the gateway process (a local data source); the URL only names it. */
export const OPERATIONS_URL = "http://gateway.local/operations";

/** Prints every subgraph's SDL and composes the supergraph, as the gateway serves it. */
export async function composeSupergraph(): Promise<Composition> {
  const subgraphSdl: Record<string, string> = {};
  for (const name of SUBGRAPH_NAMES) subgraphSdl[name] = (await buildFederatedSchema(SUBGRAPHS[name])).sdl;
  subgraphSdl[OPERATIONS_SUBGRAPH] = (await buildFederatedSchema(operationsSubgraph)).sdl;
  const result = composeServices([
    ...SUBGRAPH_NAMES.map((name) => ({
      name,
      url: `http://127.0.0.1:${SUBGRAPH_DEFAULT_PORTS[name]}/graphql`,
      typeDefs: parse(subgraphSdl[name]),
    })),
    { name: OPERATIONS_SUBGRAPH, url: OPERATIONS_URL, typeDefs: parse(subgraphSdl[OPERATIONS_SUBGRAPH]) },
  ]);
  if (result.errors) throw new Error(`Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join("\n")}`);
  return { subgraphSdl, supergraphSdl: result.supergraphSdl };
}

async function main() {
  const { subgraphSdl, supergraphSdl } = await composeSupergraph();
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [name, sdl] of Object.entries(subgraphSdl)) writeFileSync(path.join(SCHEMA_DIR, `${name}.graphql`), sdl);
  writeFileSync(path.join(SCHEMA_DIR, "supergraph.graphql"), supergraphSdl);
  console.log(`Composed ${Object.keys(subgraphSdl).length} subgraphs into schema/supergraph.graphql`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

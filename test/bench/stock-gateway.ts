import { readFileSync } from "node:fs";
import path from "node:path";
import { GraphQLError } from "graphql";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { createTokenVerifier } from "../../gateway/auth";
import type { JwtConfig } from "../../gateway/config";
import { encodePrincipal, PRINCIPAL_HEADER, requestTarget, signInternalRequest } from "../../subgraphs/kernel/internal-auth";
import type { Principal } from "../../subgraphs/kernel/principal";
import { projectRoot } from "../../subgraphs/kernel/project-root";
import { applyHeapGrowth } from "../../subgraphs/kernel/heap";

/**
 * The peer the benchmark measures our gateway against: a stock `@apollo/gateway` in a
 * stock `@apollo/server` standalone server, in its own process, over the same subgraphs.
 * It adds only what the subgraphs insist on: the principal of the verified bearer token
 * (the same jose verification as the hub's gateway) and the signature of each subgraph
 * call, on top of the data source's own default HTTP client. No plugins, no error
 * formatting, no query limits; the operations subgraph points nowhere, as the storefront
 * query never reaches it.
 *
 * Run by stock-peer.ts as a child: it receives a StockGatewayJob over IPC and answers
 * with { url } once it listens.
 */
export interface StockGatewayJob {
  /** GraphQL URL of each subgraph the supergraph names (orders, customers, products, aftersales). */
  subgraphUrls: Record<string, string>;
  internalSecret: string;
  jwt: JwtConfig;
}

interface Context {
  principal: Principal | null;
}

/** Never called: only the operations subgraph lands here, and the storefront query does not use it. */
const UNUSED_SUBGRAPH_URL = "http://127.0.0.1:9/graphql";

class SignedDataSource extends RemoteGraphQLDataSource<Context> {
  constructor(service: string, url: string, secret: string) {
    super({ url });
    // The data source's own default client (make-fetch-happen), with the signature added over the exact body it sends.
    const stock = this.fetcher;
    this.fetcher = ((input: string, init: { headers?: Record<string, string>; body?: string; method?: string }) => {
      const headers = init.headers ?? {};
      const signed = signInternalRequest(secret, headers[PRINCIPAL_HEADER] ?? encodePrincipal(null), {
        service,
        method: init.method ?? "POST",
        target: requestTarget(input),
        body: init.body ?? "",
      });
      return stock(input, { ...init, headers: { ...headers, ...signed } } as never);
    }) as typeof stock;
  }

  willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>) {
    request.http?.headers.set(PRINCIPAL_HEADER, encodePrincipal((context as Partial<Context>).principal ?? null));
  }
}

async function start(job: StockGatewayJob): Promise<string> {
  const verify = await createTokenVerifier(job.jwt);
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(path.join(projectRoot(), "schema", "supergraph.graphql"), "utf8"),
    buildService: ({ name }) => new SignedDataSource(name, job.subgraphUrls[name] ?? UNUSED_SUBGRAPH_URL, job.internalSecret),
  });
  const server = new ApolloServer<Context>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { host: "127.0.0.1", port: 0 },
    async context({ req }) {
      const header = req.headers.authorization;
      if (!header) return { principal: null };
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      try {
        if (!token) throw new Error("not a bearer token");
        return { principal: await verify(token) };
      } catch {
        throw new GraphQLError("The bearer token is not valid.", { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
      }
    },
  });
  return url;
}

// The same heap setting as every process of the hub, so both gateways collect garbage alike.
applyHeapGrowth(process.env);

process.once("message", (job: StockGatewayJob) => {
  start(job).then(
    (url) => process.send!({ url }),
    (err: Error) => process.send!({ error: err.stack ?? String(err) }, () => process.exit(1)),
  );
});

// The bench owns this process: if the bench goes away, so does the peer, instead of lingering on its port.
process.once("disconnect", () => process.exit(0));

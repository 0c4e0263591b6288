import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { GraphQLError, type ValidationContext } from "graphql";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { ApolloGateway, LocalGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GraphQLFormattedError } from "graphql";
import { projectRoot } from "../subgraphs/kernel/project-root";
import { SUBGRAPH_NAMES, type SubgraphName } from "../subgraphs/kernel/config";
import { ERROR_CODES, type HubErrorCode } from "../subgraphs/kernel/error-codes";
import { COMMIT_OUTCOME_UNKNOWN_MESSAGE, withErrorCode } from "../subgraphs/kernel/errors";
import { closeServer } from "../subgraphs/kernel/graceful";
import { BodyTooLarge, isClientGone, executeGraphQL, parseJsonBody, readBody, sendError, sendJson } from "../subgraphs/kernel/http";
import { encodePrincipal, requestTarget, signInternalRequest } from "../subgraphs/kernel/internal-auth";
import type { Principal } from "../subgraphs/kernel/principal";
import type { Channel } from "../subgraphs/kernel/types";
import { deniedFields } from "../subgraphs/kernel/visibility";
import { createLogger, REQUEST_ID_HEADER, type Logger, type RequestInfo } from "../subgraphs/kernel/logging";
import { metricsOperations, metricsToken, serveMetrics, ServiceMetrics } from "../subgraphs/kernel/metrics";
import { logWithRequest, observed, requestInfoPlugin } from "../subgraphs/kernel/request-log";
import type { Counter, Histogram } from "prom-client";
import { AuthError, createTokenVerifier } from "./auth";
import { verifyWebhook, WEBHOOK_CHANNELS, webhookVerifiers, type WebhookChannel } from "./webhooks";
import type { GatewayConfig } from "./config";
// The schema builder alone: the gateway process loads no subgraph server, TypeORM or database driver.
import { buildFederatedSchema } from "../subgraphs/kernel/federated-schema";
import { SubgraphClient, type ClientResponse } from "./subgraph-client";
import { CATALOG_SERVICE, CatalogCache } from "./catalog-cache";
import { OPERATIONS_SUBGRAPH, OperationsDataSource, operationsSubgraph, parkedEventsClient, type ParkedEventsCall } from "./operations";

export const SUPERGRAPH_PATH = path.join(projectRoot(), "schema", "supergraph.graphql");

interface GatewayContext {
  principal: Principal | null;
  /** For the operations subgraph, served in this process: the services' parked-events routes, as this caller. */
  parkedEvents: ParkedEventsCall;
  /** Passed to every subgraph call in x-request-id, so their log lines share it. */
  requestId: string;
  /** The principal encoded for the subgraphs' header, once per request (principalHeaderOf). */
  principalHeader?: string;
}

/**
 * Sends the query plan's fetches to one subgraph, signing every call: the subgraph it is
 * for, method and path, the verified principal and the exact body that goes on the wire,
 * so a subgraph can trust all of them and a captured call is good for that subgraph and
 * route only.
 *
 * Its own data source rather than a RemoteGraphQLDataSource: that one builds node-fetch
 * Headers and a Request (with a body stream) for every fetch, only to hand them to hooks
 * we do not use, which was a tenth of the gateway's CPU per storefront request. A non-2xx
 * answer is SERVICE_UNAVAILABLE naming the service (that one put the subgraph's address
 * and answer in the error's extensions, which reached the client), and a body that is not
 * a JSON object is an error.
 */
class SigningDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly url: URL;
  private readonly target: string;

  constructor(
    private readonly service: string,
    url: string,
    private readonly secret: string,
    private readonly timeoutMs: number,
    private readonly client: SubgraphClient,
    private readonly fetchSeconds: Histogram<"subgraph" | "outcome">,
    private readonly logger: Logger,
    /** The products subgraph's entity answers (catalog-cache.ts); absent for other services or when off. */
    private readonly catalog?: { cache: CatalogCache; lookups: Counter<"result"> },
  ) {
    this.url = new URL(url);
    this.target = requestTarget(this.url);
  }

  /** Times the whole fetch (send, wait, read and parse the answer) per subgraph. */
  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const query = options.request.query ?? "";
    const reads = READ_ONLY.test(query);
    const context = options.context as Partial<GatewayContext>;
    const roles = context.principal?.roles ?? [];
    const keys = this.catalog && reads ? this.catalog.cache.keysOf(query, options.request.variables, roles) : null;
    if (keys) {
      const known = this.catalog!.cache.lookup(keys);
      this.catalog!.lookups.inc({ result: known ? "hit" : "miss" });
      if (known) return { data: { _entities: known } };
    }
    // A catalog write empties the cache before it is sent and again once answered, so no
    // read running beside it keeps what it read before the write.
    if (this.catalog && !reads) this.catalog.cache.clear();
    const generation = this.catalog?.cache.currentGeneration() ?? 0;
    const started = process.hrtime.bigint();
    let outcome = "error";
    try {
      const response = await this.send(options, context);
      outcome = response.errors?.length ? "graphql_errors" : "ok";
      if (keys && outcome === "ok") this.catalog!.cache.store(keys, (response.data as { _entities?: unknown } | undefined)?._entities, generation);
      return response;
    } catch (err) {
      // The client sees SERVICE_UNAVAILABLE naming the subgraph; the operator needs why (refused, timed out, a bad answer).
      this.logger.warn({ requestId: context.requestId, subgraph: this.service, err: (err as GraphQLError).originalError ?? err }, "subgraph fetch failed");
      throw err;
    } finally {
      this.fetchSeconds.observe({ subgraph: this.service, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
      // A catalog write through this gateway (or one that may have happened) shows at once.
      if (this.catalog && !reads) this.catalog.cache.clear();
    }
  }

  private async send(options: GraphQLDataSourceProcessOptions<GatewayContext>, context: Partial<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { query, variables, operationName } = options.request;
    if (!query) throw new Error("Missing query");
    // The same text a RemoteGraphQLDataSource sends (isQueryBody reads its start).
    const body = JSON.stringify({ query, variables, operationName });
    const principal = principalHeaderOf(context);
    const unsigned: Record<string, string> = { "content-type": "application/json", ...(context.requestId ? { [REQUEST_ID_HEADER]: context.requestId } : {}) };
    // Signed per attempt: a query re-sent on a fresh socket needs a signature of its own.
    const headers = () => ({ ...unsigned, ...signInternalRequest(this.secret, principal, { service: this.service, method: "POST", target: this.target, body }) });
    const idempotent = isQueryBody(body);
    let response: ClientResponse;
    try {
      response = await this.client.request(this.url, { method: "POST", headers, body, timeoutMs: this.timeoutMs, idempotent });
    } catch (err) {
      // Refused, reset, timed out: the client is told which service, the log line why (process above).
      // A mutation that may have reached the subgraph (anything but a refused connection or an
      // unknown host) may have been made: the client must read back, not retry blindly.
      throw this.unavailable(!idempotent && !NEVER_SENT.has(String((err as { code?: string }).code)), err as Error);
    }
    const answer = await readAnswer(response);
    if (!response.ok) {
      // The subgraph refused the call itself (its signature check, a body too large, its
      // database down before the operation ran) or failed outside GraphQL. For the client
      // that service is unavailable, whatever the status: a subgraph's 401 is about the
      // gateway, not the caller's token, and its address and answer stay in the log.
      this.logger.warn({ requestId: context.requestId, subgraph: this.service, status: response.status, answer: firstErrorMessage(answer) }, "subgraph refused the fetch");
      // A 503 is sent before the operation runs; any other 5xx on a mutation may have come after it changed something.
      throw this.unavailable(!idempotent && response.status >= 500 && response.status !== 503);
    }
    if (answer === null || typeof answer !== "object" || Array.isArray(answer)) throw new Error(`Expected JSON response body, but received: ${String(answer).slice(0, 200)}`);
    return answer as GatewayGraphQLResponse;
  }

  /** What the client is told (formatGatewayError names the service); `sentMaybe`: a write that may have been made. */
  private unavailable(sentMaybe: boolean, originalError?: Error): GraphQLError {
    return new GraphQLError(`The ${this.service} service is unavailable.`, {
      originalError,
      extensions: { code: "SERVICE_UNAVAILABLE", serviceName: this.service, ...(sentMaybe ? { outcome: "UNKNOWN" } : {}) },
    });
  }
}

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource["process"]>>;

/** What a refusing subgraph said, for the log: its first error's message, bounded. */
function firstErrorMessage(answer: unknown): string | undefined {
  const errors = (answer as { errors?: Array<{ message?: unknown }> } | null)?.errors;
  const message = Array.isArray(errors) ? errors[0]?.message : typeof answer === "string" ? answer : undefined;
  return typeof message === "string" ? message.slice(0, 200) : undefined;
}

/** A JSON answer parsed, anything else as text. */
async function readAnswer(response: ClientResponse): Promise<unknown> {
  const type = response.headers.get("content-type");
  return type && (type.startsWith("application/json") || type.startsWith("application/graphql-response+json")) ? response.json() : response.text();
}

/** The principal as the subgraphs receive it, encoded once per request (a request makes several fetches). */
function principalHeaderOf(context: Partial<GatewayContext>): string {
  if (context.principalHeader === undefined) context.principalHeader = encodePrincipal(context.principal ?? null);
  return context.principalHeader;
}

/** Connection errors that mean the request never left the gateway. */
const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * A subgraph fetch that only reads: the query plan's fetches are printed as `query …` or
 * `{ … }`, mutations as `mutation …`. Anything else counts as a write (never re-sent).
 */
const READ_ONLY = /^(query\b|\{)/;
function isQueryBody(body: string): boolean {
  return /^\{"query":"(query\b|\{)/.test(body);
}

/** Codes that reach a client as they are; every other code is masked below. */
const PASS_THROUGH_CODES = new Set<string>(
  (Object.keys(ERROR_CODES) as HubErrorCode[]).filter((c) => !["INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "CHANNEL_DISABLED"].includes(c)),
);

const INTERNAL_ADDRESS = /(https?:\/\/|\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b|ECONNREFUSED|ECONNRESET|ETIMEDOUT|fetch failed)/i;

/**
 * What a client sees of an error, whether the gateway, Apollo or a subgraph raised it:
 * our codes and messages as they are; a subgraph that cannot be reached as
 * SERVICE_UNAVAILABLE naming the service; anything else as an internal error. Never an
 * internal URL, SQL or a stack. Every error leaves with the errorCode of its code.
 */
export function formatGatewayError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const ext = (formatted.extensions ?? {}) as Record<string, unknown>;
  const code = String(ext.code ?? "INTERNAL_SERVER_ERROR");
  const serviceName = typeof ext.serviceName === "string" ? ext.serviceName : undefined;
  const clean = { message: formatted.message, locations: formatted.locations, path: formatted.path };
  // Our own SERVICE_UNAVAILABLE names the service it means (the operations subgraph asks the others).
  const ownUnavailable = code === "SERVICE_UNAVAILABLE" && typeof ext.service === "string";
  if ((PASS_THROUGH_CODES.has(code) || ownUnavailable) && !INTERNAL_ADDRESS.test(formatted.message)) {
    const { stacktrace: _s, serviceName: _n, ...rest } = ext;
    return { ...clean, extensions: withErrorCode({ ...rest, code }) };
  }
  // A subgraph's mutation whose commit may or may not have happened: the client must read back, not retry blindly.
  if (code === "SERVICE_UNAVAILABLE" && ext.outcome === "UNKNOWN") {
    return { ...clean, message: COMMIT_OUTCOME_UNKNOWN_MESSAGE, extensions: withErrorCode({ code, outcome: "UNKNOWN", ...(serviceName ? { service: serviceName } : {}) }) };
  }
  if (INTERNAL_ADDRESS.test(formatted.message) || code === "DOWNSTREAM_SERVICE_ERROR" || code === "SERVICE_UNAVAILABLE") {
    const which = serviceName ?? "A";
    return {
      ...clean,
      message: `${serviceName ? `The ${which} service` : "A service"} is unavailable; data from the other services is still returned.`,
      extensions: withErrorCode({ code: "SERVICE_UNAVAILABLE", ...(serviceName ? { service: serviceName } : {}) }),
    };
  }
  return { ...clean, message: "Internal error; it has been logged.", extensions: withErrorCode({ code: "INTERNAL_SERVER_ERROR" }) };
}

/** The orders route's answer as the channel gets it: each error with its errorCode, whatever orders sent. */
function withErrorCodes(body: unknown): unknown {
  if (!body || typeof body !== "object" || !Array.isArray((body as { errors?: unknown }).errors)) return body;
  const errors = (body as { errors: Array<{ message?: unknown; extensions?: Record<string, unknown> }> }).errors;
  return { ...body, errors: errors.map((e) => ({ ...e, extensions: withErrorCode(e.extensions) })) };
}

export interface RunningGateway {
  url: string;
  port: number;
  /** From now on /readyz answers 503 (the gateway still serves), so a load balancer stops sending it requests. */
  drain(): void;
  /** `graceful`: stop accepting, let requests under way finish (cut after `timeoutMs`); otherwise cut every connection at once. */
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

/**
 * The limit rules throw by default, which Apollo turns into a 500; reported on the
 * validation context instead, they are a 400 GRAPHQL_VALIDATION_FAILED like any other
 * invalid operation (without the rules' misleading "Syntax Error:" prefix).
 */
const reportAsValidationError = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, "")))],
};

/**
 * A document without the operation the request names is the client's mistake, but
 * @apollo/gateway finds out only while executing and throws, which Apollo answers as a
 * 500. Refused here, once the operation is resolved, it is a 400 like the rest.
 */
const refuseUnresolvedOperation: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (operation) return;
        const message = request.operationName
          ? `The document has no operation named "${request.operationName.slice(0, 100)}".`
          : "The document has several operations: name the one to run in operationName.";
        throw new GraphQLError(message, { extensions: { code: "OPERATION_RESOLUTION_FAILURE", http: { status: 400, headers: new HeaderMap() } } });
      },
    };
  },
};

/**
 * A mutation that asks for a field its caller may not see is refused before it runs
 * (queries get those fields as errors, with the rest of the data).
 */
const refuseDeniedMutations: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, document, schema, contextValue }) {
        if (operation?.operation !== "mutation") return;
        const denied = deniedFields(schema, document, contextValue.principal);
        if (denied.length === 0) return;
        const signedIn = !!contextValue.principal;
        throw new GraphQLError(
          signedIn ? `You may not see ${denied.join(", ")}; ask without them. Nothing was changed.` : "Sign in first: send a bearer token.",
          { extensions: { code: signedIn ? "FORBIDDEN" : "UNAUTHENTICATED", fields: denied, http: { status: signedIn ? 403 : 401, headers: new HeaderMap() } } },
        );
      },
    };
  },
};

export interface GatewayOptions {
  /** The root logger (the hub's, or a test's capturing one); one from LOG_LEVEL otherwise. */
  logger?: Logger;
}

export async function startGateway(config: GatewayConfig, supergraphSdl = readFileSync(SUPERGRAPH_PATH, "utf8"), options: GatewayOptions = {}): Promise<RunningGateway> {
  const verify = await createTokenVerifier(config.jwt);
  const operations = new OperationsDataSource((await buildFederatedSchema(operationsSubgraph)).schema);
  const logger = (options.logger ?? createLogger(config.env)).child({ service: "gateway" });
  // The gateway shows the process metrics: in the one-process hub it is the process's front.
  const metrics = new ServiceMetrics("gateway", { operations: metricsOperations(config.env) });
  const scrapeToken = metricsToken(config.env);
  const fetchSeconds = metrics.histogram("orderhub_subgraph_fetch_duration_seconds", "Subgraph fetches of the query plans, by subgraph and outcome (ok, graphql_errors, error).", ["subgraph", "outcome"]);
  const webhookDeliveries = metrics.counter(
    "orderhub_webhook_deliveries_total",
    "Channel webhook deliveries by channel and result (accepted, duplicate, refused_signature, bad_input, conflict, unavailable, disabled, error).",
    ["channel", "result"],
  );
  const client = new SubgraphClient();
  const catalog =
    config.productCacheSeconds > 0
      ? {
          cache: new CatalogCache(config.productCacheSeconds * 1000),
          lookups: metrics.counter("orderhub_catalog_cache_lookups_total", "Product fetches of the query plans answered from the gateway's catalog cache (hit) or sent to the products subgraph (miss).", ["result"]),
        }
      : undefined;
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => {
      if (name === OPERATIONS_SUBGRAPH) return operations;
      const known = config.subgraphUrls[name as SubgraphName];
      return new SigningDataSource(name, known ?? url!, config.internalSecret, config.subgraphTimeoutMs, client, fetchSeconds, logger, name === CATALOG_SERVICE ? catalog : undefined);
    },
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // Outside NODE_ENV=test Apollo would stop itself on SIGTERM/SIGINT and kill the process
    // again, cutting the drain short: the process entry points own the signals.
    stopOnTerminationSignals: false,
    // Refused before planning, so no subgraph is called: a query nested to exhaust the
    // hub (customer → orders → customer → …) or repeated under hundreds of aliases.
    validationRules: [
      maxDepthRule({ n: config.maxQueryDepth, ignoreIntrospection: true, ...reportAsValidationError }),
      maxAliasesRule({ n: config.maxQueryAliases, ...reportAsValidationError }),
    ],
    plugins: [refuseUnresolvedOperation, refuseDeniedMutations, requestInfoPlugin as ApolloServerPlugin<GatewayContext>],
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => {
      const out = formatGatewayError(formatted);
      // The client is told "it has been logged": it is, under the request id the client got back.
      if (out.extensions?.code === "INTERNAL_SERVER_ERROR") {
        logWithRequest(error, (requestId) => logger.error({ requestId, code: formatted.extensions?.code, path: formatted.path, err: unwrapResolverError(error) }, "internal error"));
      }
      return out;
    },
  });
  await apollo.start();

  async function principalOf(req: IncomingMessage): Promise<Principal | null> {
    const header = req.headers.authorization;
    if (!header) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AuthError('The Authorization header must be "Bearer <token>".');
    return verify(match[1]);
  }

  let draining = false;

  async function handle(req: IncomingMessage, res: ServerResponse, pathname: string, info: RequestInfo) {
    const requestId = info.id;
    // While draining, clients are asked to reconnect, so keep-alive connections move to another instance.
    if (draining) res.setHeader("connection", "close");
    if (req.method === "GET" && pathname === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (req.method === "GET" && pathname === "/readyz") return readiness(res);
    // No personal data in it; on the public port, so production sets METRICS_TOKEN or keeps /metrics off the proxy.
    if (req.method === "GET" && pathname === "/metrics") return serveMetrics(metrics, scrapeToken, req, res);
    if (pathname.startsWith("/webhooks/")) return webhook(req, res, pathname.slice("/webhooks/".length), info);
    if (pathname !== "/graphql" && pathname !== "/") return sendError(res, 404, "NOT_FOUND", `No route ${pathname}; GraphQL is at /graphql.`);
    let principal: Principal | null;
    try {
      principal = await principalOf(req);
    } catch (err) {
      if (err instanceof AuthError) return sendError(res, 401, "UNAUTHENTICATED", err.message, { "www-authenticate": "Bearer" });
      throw err;
    }
    info.roles = principal?.roles ?? [];
    let body: unknown;
    if (req.method === "POST") {
      const raw = await readBody(req, config.maxBodyBytes);
      try {
        body = parseJsonBody(raw);
      } catch {
        return sendError(res, 400, "BAD_REQUEST", "The request body is not valid JSON.");
      }
    }
    await executeGraphQL(apollo, req, res, body, async () => ({
      principal,
      requestId,
      parkedEvents: parkedEventsClient(config.subgraphUrls, config.internalSecret, { callMs: config.subgraphTimeoutMs, retryMs: config.parkedRetryTimeoutMs }, principal),
      warn: (fields: Record<string, unknown>, message: string) => logger.warn({ requestId, ...fields }, message),
    }));
  }

  const verifiers = webhookVerifiers(config.env, (line) => logger.warn(line));
  const ordersBase = new URL(config.subgraphUrls.orders);

  /** POST /webhooks/{channel}: verify the channel's signature, then hand the raw body to orders. */
  async function webhook(req: IncomingMessage, res: ServerResponse, slug: string, info: RequestInfo) {
    const requestId = info.id;
    const known = (WEBHOOK_CHANNELS as readonly string[]).includes(slug);
    let verdict = "";
    // Counted once the answer is out, whatever path it took (a body too large throws past us).
    res.once("finish", () => webhookDeliveries.inc({ channel: known ? slug : "other", result: webhookResult(res.statusCode, info.errorCode, verdict) }));
    if (req.method !== "POST") return sendError(res, 405, "METHOD_NOT_ALLOWED", "Webhooks are POST only.");
    if (!known) return sendError(res, 404, "NOT_FOUND", `Unknown channel "${slug.slice(0, 20)}"; known: ${WEBHOOK_CHANNELS.join(", ")}.`);
    const verifier = verifiers[slug as WebhookChannel];
    if (!verifier) return sendError(res, 503, "CHANNEL_DISABLED", `Webhooks for ${slug} are disabled: no secret is configured.`);
    const raw = await readBody(req, config.maxBodyBytes);
    const verified = verifyWebhook(verifier, raw, req.headers);
    if (!verified.ok) return sendError(res, 401, "UNAUTHENTICATED", verified.message);
    const principal = encodePrincipal({ sub: `webhook:${slug}`, roles: ["channel"], channel: slug.toUpperCase() as Channel });
    try {
      const target = new URL(`/internal/channel-events/${slug}`, ordersBase);
      const forwarded = await client.request(target, {
        method: "POST",
        headers: { "content-type": "application/json", [REQUEST_ID_HEADER]: requestId, ...signInternalRequest(config.internalSecret, principal, { service: "orders", method: "POST", target: requestTarget(target), body: raw }) },
        body: raw,
        timeoutMs: config.subgraphTimeoutMs,
      });
      const retryAfter = forwarded.headers.get("retry-after");
      const answer = withErrorCodes(await forwarded.json());
      verdict = deliveryResult(forwarded.status, answer);
      sendJson(res, forwarded.status, answer, retryAfter ? { "retry-after": retryAfter } : {});
    } catch {
      sendError(res, 503, "SERVICE_UNAVAILABLE", "The orders service is unavailable; retry the delivery later.", { "retry-after": "1" });
    }
  }

  /**
   * The gateway's own readiness: started and not shutting down. The subgraphs' states are
   * listed (the failing ones named) but never turn it 503: a subgraph restarting would
   * otherwise take every gateway out of the load balancer at once, and with them the
   * subgraphs that still work. A subgraph that is down already answers SERVICE_UNAVAILABLE
   * for its part of a query, and a webhook 503 with Retry-After.
   */
  async function readiness(res: ServerResponse) {
    if (draining) return sendJson(res, 503, { status: "unavailable", reason: "shutting down", ...withErrorCode({ code: "SERVICE_UNAVAILABLE" }) });
    const results = await Promise.all(
      SUBGRAPH_NAMES.map(async (name) => {
        const target = new URL("/readyz", config.subgraphUrls[name]);
        try {
          const r = await client.request(target, { timeoutMs: 2000, idempotent: true });
          if (r.ok) return [name, "ok"] as const;
          const body = (await r.json().catch(() => ({}))) as { database?: string; reason?: string };
          // Without NATS a subgraph still serves reads and writes (its events wait in the outbox):
          // the gateway stays in the load balancer and says so.
          if (body.database === "ok" && /^NATS /.test(body.reason ?? "")) return [name, `ok (events delayed: ${body.reason})`] as const;
          return [name, body.database === "unreachable" ? "database unreachable" : `unhealthy (HTTP ${r.status}${body.reason ? `: ${body.reason}` : ""})`] as const;
        } catch {
          return [name, "unreachable"] as const;
        }
      }),
    );
    const subgraphs = Object.fromEntries(results);
    const failing = results.filter(([, s]) => !s.startsWith("ok")).map(([n, s]) => `${n}: ${s}`);
    sendJson(res, 200, { status: "ok", subgraphs, ...(failing.length ? { failing } : {}) });
  }

  const server: Server = createServer((req, res) => {
    const pathname = (req.url ?? "/").split("?")[0];
    void observed({ metrics, logger }, req, res, gatewayRoute(pathname), (info) => handle(req, res, pathname, info).catch((err) => {
      if (err instanceof BodyTooLarge) return sendError(res, 413, "PAYLOAD_TOO_LARGE", `The request body exceeds ${config.maxBodyBytes} bytes.`);
      if (isClientGone(req, err)) return logger.info({ requestId: info.id }, "client went away before the answer");
      logger.error({ requestId: info.id, err }, "request failed");
      if (!res.headersSent) sendError(res, 500, "INTERNAL_SERVER_ERROR", "Internal error; it has been logged.");
    }));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${config.host}:${port}/graphql`,
    port,
    drain() {
      draining = true;
    },
    async stop({ graceful = false, timeoutMs = 30_000 } = {}) {
      draining = true;
      await closeServer(server, graceful, timeoutMs);
      await apollo.stop();
      client.close();
    },
  };
}

/** The route a request's log line names: a fixed word, never the raw URL. */
function gatewayRoute(pathname: string): string {
  if (pathname === "/graphql" || pathname === "/") return "graphql";
  if (pathname === "/healthz" || pathname === "/readyz" || pathname === "/metrics") return pathname.slice(1);
  return pathname.startsWith("/webhooks/") ? "webhook" : "not_found";
}

/** A 200 from orders: "duplicate" when every event of the delivery had been seen, else "accepted". */
function deliveryResult(status: number, answer: unknown): string {
  if (status !== 200) return "";
  const results = (answer as { results?: Array<{ outcome?: string }> }).results ?? [];
  return results.length > 0 && results.every((r) => r.outcome === "duplicate") ? "duplicate" : "accepted";
}

/** The result label of a webhook delivery, from its status and the code it was answered with. */
export function webhookResult(status: number, code: string | undefined, verdict: string): string {
  if (status >= 200 && status < 300) return verdict === "duplicate" ? "duplicate" : "accepted";
  if (code === "CHANNEL_DISABLED") return "disabled";
  if (status === 401) return "refused_signature";
  if (status === 409) return "conflict";
  if (status === 503) return "unavailable";
  if (status >= 400 && status < 500) return "bad_input";
  return "error";
}

import "reflect-metadata";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { GraphQLError } from "graphql";
import type { NonEmptyArray } from "type-graphql";
import type { DataSource } from "typeorm";
import type { SubgraphConfig, SubgraphName } from "./config";
import { isCommitOutcomeUnknown, isDatabaseUnavailable, openDatabase } from "./database";
import { deliveryRetryJob, ServiceConsumer } from "./delivery";
import { DELIVERY_ENTITIES } from "./delivery-holds";
import { PARKED_EVENTS_ROUTE, parkedEventsRoute } from "./parked-events";
import { EVENT_ENTITIES, OutboxRelay, type EventBus, type Subscription } from "./events";
import { ERROR_CODES } from "./error-codes";
import { COMMIT_OUTCOME_UNKNOWN_MESSAGE, withErrorCode } from "./errors";
import { BodyTooLarge, isClientGone, executeGraphQL, parseJsonBody, readBody, sendError, sendJson } from "./http";
import { closeServer, withDeadline } from "./graceful";
import { verifyInternalRequest } from "./internal-auth";
import { createLogger, log, requestInfoOf, type Logger } from "./logging";
import { metricsOperations, metricsToken, serveMetrics, ServiceMetrics } from "./metrics";
import { consumerGauges, deliveryGauges, outboxGauges } from "./service-gauges";
import { logWithRequest, observed, requestInfoPlugin } from "./request-log";
import { EVICTED_METRIC, PREPARED_METRIC, sqlPreparedTextCount, sqlPrepareCount, sqlStatementEvictions, TEXTS_METRIC } from "./prepared-reads";
import { countingStatementsOf } from "./sql-stats";
import type { Principal } from "./principal";
import { systemClock, type Clock } from "./clock";
import { buildFederatedSchema } from "./federated-schema";

/** What every resolver sees. `loaders` are created per request so batching never leaks across callers. */
export interface SubgraphContext<L = unknown> {
  principal: Principal | null;
  ds: DataSource;
  loaders: L;
  relay: OutboxRelay;
  clock: Clock;
  /** The environment the subgraph was started with (validated settings are read from it). */
  env: Record<string, string | undefined>;
  /** Keys the pseudonyms that stand in for channel account ids (see kernel/masking). */
  pseudonymKey: string;
}

/** What a subgraph's background work and extra routes get. */
export interface SubgraphRuntime {
  ds: DataSource;
  bus: EventBus;
  relay: OutboxRelay;
  clock: Clock;
  env: Record<string, string | undefined>;
  /** This service's metrics: parts with a number to report register a gauge here (gaugeFrom). */
  metrics: ServiceMetrics;
  /** This service's logger (JSON lines with `service`). */
  log: Logger;
}

/** A background job (a scheduler); runOnce lets tests drive it with a moved clock. */
export interface BackgroundJob {
  runOnce(): Promise<unknown>;
  /** No further runs; resolves once the run under way (if any) has finished, so its outcome is recorded before the database closes. */
  stop(): Promise<void>;
}

/** An internal HTTP route (besides /graphql), reachable only with the gateway's signature. */
export type InternalRoute = (req: { path: string; body: string; headers: Record<string, string | string[] | undefined>; principal: Principal | null }) => Promise<{
  status: number;
  body: unknown;
}>;

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Class = Function;

export interface SubgraphDefinition<L> {
  name: SubgraphName;
  resolvers: NonEmptyArray<Class>;
  orphanedTypes?: Class[];
  entities: Class[];
  migrations: Class[];
  /** Resolvers type-graphql cannot express, chiefly __resolveReference per entity. */
  referenceResolvers: Record<string, Record<string, unknown>>;
  createLoaders(ds: DataSource, principal: Principal | null): L;
  /** What this subgraph consumes from the bus. */
  subscriptions?(runtime: SubgraphRuntime): Subscription[];
  /** Starts background jobs (schedulers). */
  jobs?(runtime: SubgraphRuntime): Record<string, BackgroundJob>;
  /** Adjusts the verified principal once per request (e.g. an absorbed customer key to its survivor). */
  resolvePrincipal?(ds: DataSource, principal: Principal | null): Promise<Principal | null>;
  /** Internal routes by path prefix, e.g. "/internal/channel-events/". */
  routes?(runtime: SubgraphRuntime): Record<string, InternalRoute>;
}

export { buildFederatedSchema, type BuiltSchema } from "./federated-schema";
// Declared in errors.ts, which the gateway imports without the database code; also here beside maskError.
export { COMMIT_OUTCOME_UNKNOWN_MESSAGE };

/** The client errors (4xxx) of the code table: raised on purpose, they keep their extensions. */
const KNOWN_CODES: ReadonlySet<string> = new Set(Object.entries(ERROR_CODES).filter(([, c]) => c.errorCode < 5000).map(([code]) => code));

/**
 * Errors we raise on purpose keep their code and message; anything else (a SQL error,
 * a bug) is logged here and reaches the client only as an internal error. Every one
 * leaves with its errorCode.
 */
export function maskError(formatted: { message: string; extensions?: Record<string, unknown> }, error: unknown, logger: Logger = log()) {
  const original = unwrapResolverError(error);
  const code = formatted.extensions?.code as string | undefined;
  if (original instanceof GraphQLError && (KNOWN_CODES.has(String(code)) || !(original.originalError))) {
    return { ...formatted, extensions: withErrorCode({ ...formatted.extensions, stacktrace: undefined }) };
  }
  if (code && code !== "INTERNAL_SERVER_ERROR") return { ...formatted, extensions: withErrorCode({ code }) };
  // The change may or may not have been made: a blind retry could make it twice.
  if (isCommitOutcomeUnknown(original)) {
    logWithRequest(error, (requestId) => logger.warn({ requestId, err: original }, "commit outcome unknown"));
    return { message: COMMIT_OUTCOME_UNKNOWN_MESSAGE, extensions: withErrorCode({ code: "SERVICE_UNAVAILABLE", outcome: "UNKNOWN" }) };
  }
  // Not a bug: the database cannot do it now, and the same request will work later.
  if (isDatabaseUnavailable(original)) {
    logWithRequest(error, (requestId) => logger.warn({ requestId, err: original }, "database unavailable"));
    return { message: "The database is unavailable; retry later.", extensions: withErrorCode({ code: "SERVICE_UNAVAILABLE" }) };
  }
  logWithRequest(error, (requestId) => logger.error({ requestId, err: original }, "internal error"));
  return { message: "Internal error; it has been logged.", extensions: withErrorCode({ code: "INTERNAL_SERVER_ERROR" }) };
}

export interface RunningSubgraph {
  name: SubgraphName;
  url: string;
  ds: DataSource;
  relay: OutboxRelay;
  consumer: ServiceConsumer;
  metrics: ServiceMetrics;
  jobs: Record<string, BackgroundJob>;
  /** From now on /readyz answers 503 (the service still serves), so a load balancer stops sending it requests. */
  drain(): void;
  /**
   * Stops the subgraph. `graceful`: stop accepting, let requests under way finish (cut after
   * `timeoutMs`); otherwise every connection is cut at once.
   */
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  env?: Record<string, string | undefined>;
  /**
   * Leave the outbox relay stopped; the caller starts it once every service on the bus
   * has subscribed (the in-process bus delivers only to those listening, and an event
   * published to nobody would be marked published and lost).
   */
  holdRelay?: boolean;
  /** The root logger (the hub's, or a test's capturing one); one from LOG_LEVEL otherwise. */
  logger?: Logger;
  /**
   * Show Node's process metrics on this service's /metrics (default). The one-process hub
   * shows them once, on the gateway, as all its services share the process.
   */
  processMetrics?: boolean;
  /** Why the service cannot do its work now (e.g. its bus is disconnected), for /readyz; undefined when it can. */
  notReadyReason?: () => string | undefined;
  /** The bus is this subgraph's alone: stop() closes it, after the relay and before the database. */
  ownBus?: boolean;
}

export async function startSubgraph<L>(def: SubgraphDefinition<L>, config: SubgraphConfig, bus: EventBus, options: StartOptions = {}): Promise<RunningSubgraph> {
  const clock = options.clock ?? systemClock;
  const env = options.env ?? process.env;
  // Settings read here are checked before the database opens, so a bad one leaves nothing open.
  const scrapeToken = metricsToken(env);
  const logger = (options.logger ?? createLogger(env)).child({ service: def.name });
  const { schema } = await buildFederatedSchema(def as SubgraphDefinition<unknown>);
  const ds = await openDatabase({
    service: def.name,
    mysqlUrl: config.mysqlUrl,
    dbNamePrefix: config.dbNamePrefix,
    dataDir: config.dataDir,
    poolSize: config.poolSize,
    sqlLog: config.sqlLog,
    entities: [...def.entities, ...EVENT_ENTITIES, ...DELIVERY_ENTITIES],
    migrations: def.migrations,
  });
  const relay = new OutboxRelay(ds, bus, config.outboxPollMs, config.outboxLeaseMs);
  const metrics = new ServiceMetrics(def.name, { processMetrics: options.processMetrics, operations: metricsOperations(env) });
  const runtime: SubgraphRuntime = { ds, bus, relay, clock, env, metrics, log: logger };
  const subscriptions = def.subscriptions?.(runtime) ?? [];
  const consumer = new ServiceConsumer(ds, def.name, subscriptions, relay, { clock, config: config.delivery });
  outboxGauges(metrics, ds, logger);
  deliveryGauges(metrics, ds, logger);
  metrics.gaugeFrom(PREPARED_METRIC, "SQL statements this process has prepared. Hot reads prepare once per pooled connection: under steady load it stays flat.", () => sqlPrepareCount());
  metrics.gaugeFrom(TEXTS_METRIC, "Different hot-read texts this process has prepared: one that grows under steady load is a read writing values into its SQL.", () => sqlPreparedTextCount());
  metrics.gaugeFrom(EVICTED_METRIC, "Prepared statements pushed out of a MySQL connection's cache by newer ones (prepared again when next run): under steady load it stays flat.", () => sqlStatementEvictions());
  const events = consumerGauges(metrics, def.name, bus, logger, { consumes: subscriptions.length > 0 });
  if (consumer.types.length) bus.consume(def.name, consumer.types, (event) => events.delivering(event, () => consumer.deliver(event)));
  if (!options.holdRelay) relay.start();
  const jobs = { ...(def.jobs?.(runtime) ?? {}), deliveries: deliveryRetryJob(consumer.queues, def.name) };
  const routes = Object.entries({ ...(def.routes?.(runtime) ?? {}), [PARKED_EVENTS_ROUTE]: parkedEventsRoute(def.name, ds, consumer.queues) });

  const apollo = new ApolloServer<SubgraphContext<L>>({
    schema,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => maskError(formatted, error, logger),
    csrfPrevention: false,
    // Outside NODE_ENV=test Apollo would stop itself on SIGTERM/SIGINT and kill the process
    // again, cutting the drain short: the process entry points own the signals.
    stopOnTerminationSignals: false,
    // Usage reporting is not ours to send; the gateway would only drop the trace.
    // Nor are cache hints (the gateway keeps no response cache): without that plugin Apollo
    // does not wrap every field resolver to collect them.
    plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), requestInfoPlugin],
  });
  await apollo.start();

  let draining = false;
  async function handle(req: IncomingMessage, res: ServerResponse, path: string) {
    try {
      // While draining, clients are asked to reconnect, so keep-alive connections move to another instance.
      if (draining) res.setHeader("connection", "close");
      if (req.method === "GET" && path === "/healthz") return sendJson(res, 200, { status: "ok" });
      if (req.method === "GET" && path === "/readyz") {
        const unavailable = (reason: string, extra: Record<string, string> = {}) =>
          sendJson(res, 503, { status: "unavailable", reason, ...extra, ...withErrorCode({ code: "SERVICE_UNAVAILABLE" }) });
        if (draining) return unavailable("shutting down");
        try {
          await ds.query("SELECT 1");
        } catch {
          return unavailable("database unreachable", { database: "unreachable" });
        }
        const reason = options.notReadyReason?.();
        if (reason) return unavailable(reason, { database: "ok" });
        return sendJson(res, 200, { status: "ok", database: "ok" });
      }
      // Open to a scraper (which cannot sign), or behind METRICS_TOKEN: it holds no personal data.
      if (req.method === "GET" && path === "/metrics") return serveMetrics(metrics, scrapeToken, req, res);
      const route = routes.find(([prefix]) => path.startsWith(prefix));
      if ((path !== "/graphql" && !route) || req.method !== "POST") return sendError(res, 404, "NOT_FOUND", "Not found.");
      const raw = await readBody(req, config.maxBodyBytes);
      // Checked against this subgraph's own name and the request as it arrived.
      const verified = verifyInternalRequest(config.internalSecret, req.headers, { service: def.name, method: req.method ?? "", target: req.url ?? "/", body: raw });
      if (!verified.ok) return sendError(res, 401, "UNAUTHENTICATED", `Refused: ${verified.reason}. Subgraphs only answer the gateway.`);
      const info = requestInfoOf(res);
      if (info && verified.principal) info.roles = verified.principal.roles;
      if (route) {
        const out = await route[1]({ path, body: raw, headers: req.headers, principal: verified.principal });
        return sendJson(res, out.status, out.body);
      }
      let body: unknown;
      try {
        body = parseJsonBody(raw);
      } catch {
        return sendError(res, 400, "BAD_REQUEST", "The request body is not valid JSON.");
      }
      const principal = def.resolvePrincipal ? await def.resolvePrincipal(ds, verified.principal) : verified.principal;
      const execute = () => executeGraphQL(apollo, req, res, body, async () => ({ principal, ds, relay, clock, env, pseudonymKey: config.pseudonymKey, loaders: def.createLoaders(ds, principal) }));
      // Counting needs an AsyncLocalStorage context per request: only where asked for.
      await (config.countStatements ? countingStatementsOf(execute) : execute());
    } catch (err) {
      if (err instanceof BodyTooLarge) return sendError(res, 413, "PAYLOAD_TOO_LARGE", `The request body exceeds ${config.maxBodyBytes} bytes.`);
      if (isDatabaseUnavailable(err)) {
        // Retryable: a channel that gets a 5xx other than this may drop or park the delivery; this one says "again, later".
        logger.warn({ requestId: requestInfoOf(res)?.id, err }, "database unavailable");
        if (!res.headersSent) sendError(res, 503, "SERVICE_UNAVAILABLE", `The ${def.name} database is unavailable; retry later.`, { "retry-after": "1" });
        return;
      }
      if (isClientGone(req, err)) return logger.info({ requestId: requestInfoOf(res)?.id }, "client went away before the answer");
      logger.error({ requestId: requestInfoOf(res)?.id, err }, "request failed");
      if (!res.headersSent) sendError(res, 500, "INTERNAL_SERVER_ERROR", "Internal error; it has been logged.");
    }
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    void observed({ metrics, logger }, req, res, routeName(path, routes), () => handle(req, res, path));
  });
  // Longer than the gateway client's idle timeout, so the gateway closes an idle socket first and never sends on one being closed here.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  // The address actually bound, so what the gateway is told is where we listen.
  const { address, family, port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    name: def.name,
    url: `http://${family === "IPv6" ? `[${address}]` : address}:${port}/graphql`,
    ds,
    relay,
    consumer,
    metrics,
    jobs,
    drain() {
      draining = true;
    },
    stop({ graceful = false, timeoutMs = 30_000 } = {}) {
      // Idempotent: a test may stop one subgraph early and the hub later stops all.
      stopping ??= (async () => {
        draining = true;
        await closeServer(server, graceful, timeoutMs);
        // Each part may take up to timeoutMs (SHUTDOWN_TIMEOUT_MS), then the shutdown goes on without it.
        const late = (part: string) => () => logger.warn({ timeoutMs }, `${part} did not finish within ${timeoutMs} ms; stopping without it`);
        // A job run under way (e.g. a POST to a channel) finishes and records its outcome first.
        await withDeadline(Promise.all(Object.values(jobs).map((j) => j.stop())), timeoutMs, late("background jobs"));
        await apollo.stop();
        await withDeadline(relay.stop(), timeoutMs, late("the outbox relay"));
        // Deliveries under way finish (and are acknowledged) while the database is still open.
        if (options.ownBus) await withDeadline(bus.close(), timeoutMs, late("the event bus"));
        await ds.destroy();
      })();
      return stopping;
    },
  };
}

/** The route a request's log line names: a fixed word, never the raw URL. */
function routeName(path: string, routes: Array<[string, unknown]>): string {
  if (path === "/graphql") return "graphql";
  if (path === "/healthz" || path === "/readyz" || path === "/metrics") return path.slice(1);
  return routes.some(([prefix]) => path.startsWith(prefix)) ? "internal" : "not_found";
}

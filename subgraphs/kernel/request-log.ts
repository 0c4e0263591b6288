import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { bindRequest, REQUEST_ID_HEADER, requestIdOf, requestInfoOf, type Logger, type RequestInfo } from "./logging";
import { outcomeOf, safeOperationName, type ServiceMetrics } from "./metrics";

/** Routes whose requests are logged at debug only: probes and scrapes come every few seconds. */
const QUIET_ROUTES = new Set(["healthz", "readyz", "metrics"]);

/**
 * Handles one HTTP request: gives it an id (the caller's sane
 * x-request-id or a new one), answers it in x-request-id, and once the answer is sent
 * writes its log line and, for GraphQL, its metrics. `route` names the route, never the
 * raw URL (a GET query string can carry variables).
 */
export function observed(
  service: { metrics: ServiceMetrics; logger: Logger },
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
  work: (info: RequestInfo) => Promise<void>,
): Promise<void> {
  const info: RequestInfo = { id: requestIdOf(req.headers[REQUEST_ID_HEADER]) };
  bindRequest(res, info);
  const started = process.hrtime.bigint();
  res.setHeader(REQUEST_ID_HEADER, info.id);
  let logged = false;
  const done = () => {
    if (logged) return;
    logged = true;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // An answer cut off before it was complete (the client went away) has no status of its own.
    const status = res.writableFinished ? res.statusCode : 0;
    const outcome = status === 0 ? "aborted" : info.errorCode ? outcomeOf(info.errorCode) : status >= 400 ? "error" : "ok";
    if (route === "graphql") service.metrics.graphqlRequest(info.operation, outcome, seconds, info.roles);
    const line = {
      requestId: info.id,
      method: req.method,
      route,
      ...(route === "graphql" ? { operation: safeOperationName(info.operation) } : {}),
      status,
      outcome,
      durationMs: Math.round(seconds * 10_000) / 10,
      ...(info.roles ? { roles: info.roles } : {}),
    };
    if (QUIET_ROUTES.has(route)) service.logger.debug(line, "request");
    else service.logger.info(line, "request");
  };
  res.once("finish", done);
  res.once("close", done);
  return work(info);
}

/**
 * Tells the HTTP layer the operation name and the first error code of a GraphQL answer
 * (what Apollo alone knows), for the request's log line and metrics.
 */
export const requestInfoPlugin: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ request, operationName, response, contextValue, errors: raised }) {
        const info = requestInfoOf(contextValue);
        for (const error of raised ?? []) writeErrorLog(error, info?.id);
        if (!info) return;
        info.operation = operationName ?? request.operationName ?? null;
        const errors = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
        const code = errors?.[0]?.extensions?.code;
        if (code !== undefined && !info.errorCode) info.errorCode = String(code);
      },
    };
  },
};

const pendingErrorLogs = new WeakMap<object, (requestId: string | undefined) => void>();

/**
 * For formatError, which Apollo calls with the error but not the request: the log line
 * about `error` is written once the answer is ready, with its request's id (requestInfoPlugin
 * above). An error that never reaches the plugin (Apollo refused the request before running
 * it) is logged all the same, without an id, once the current work is done.
 */
export function logWithRequest(error: unknown, write: (requestId: string | undefined) => void): void {
  if (typeof error !== "object" || error === null) return write(undefined);
  pendingErrorLogs.set(error, write);
  setImmediate(() => writeErrorLog(error, undefined));
}

function writeErrorLog(error: object, requestId: string | undefined): void {
  const write = pendingErrorLogs.get(error);
  if (!write) return;
  pendingErrorLogs.delete(error);
  write(requestId);
}

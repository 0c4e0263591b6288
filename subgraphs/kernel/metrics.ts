import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { bool, ConfigError, isProduction, optional } from "./config";
import { isHubErrorCode } from "./error-codes";
import { STAFF_ROLES } from "./principal";

type Env = Record<string, string | undefined>;

/**
 * Prometheus metrics, one registry per service. The one-process hub runs five services
 * in one process: each keeps its own registry (and `service` label), so their series
 * never collide and each /metrics shows its own service. Node's process metrics (CPU,
 * heap, event loop) are collected once per process, in a registry of their own, and
 * shown by the service that owns the process (`processMetrics`).
 *
 * No label carries personal data: labels are operation names (bounded, see
 * OperationLabels), subgraph and channel names, outcomes from fixed lists.
 */

let processRegistry: Registry | undefined;

/** Node's default metrics, registered once whatever number of services run in this process. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: "orderhub_" });
  }
  return processRegistry;
}

/** What a scrape-time gauge reports: one value, or one per label set. */
export type GaugeReading = number | Array<{ labels: Record<string, string>; value: number }>;

/** Latency buckets in seconds, from a cached read to a slow federated write. */
/** While a scrape-time reading keeps failing, one log line per gauge this often at most. */
export const READ_ERROR_LOG_INTERVAL_MS = 10 * 60_000;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Most operation names a service labels separately; later new names count as "other".
 * Operation names are chosen by the client, so a caller sending a new one per request
 * must not grow the series without bound (a Prometheus server falls over long before).
 */
export const MAX_OPERATION_LABELS = 100;
const MAX_OPERATION_NAME = 64;
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
/** A run of digits: a phone number, an order number, an id — not a name a developer chose for a query. */
const DIGIT_RUN = /\d{4,}/;

/**
 * A client-sent operation name as it may appear in a label or a log line: a GraphQL
 * name of at most 64 characters without a long run of digits, else "other"; no name is
 * "anonymous". GraphQL names cannot hold spaces, @ or non-Latin letters, so an e-mail
 * address, a Chinese name or an address cannot get through; digit runs catch phones.
 */
export function safeOperationName(name: string | null | undefined): string {
  if (name === undefined || name === null || name === "") return "anonymous";
  if (name.length > MAX_OPERATION_NAME || !GRAPHQL_NAME.test(name) || DIGIT_RUN.test(name)) return "other";
  return name;
}

/** The most names METRICS_OPERATIONS may list: each is a label of its own on every service. */
export const MAX_LISTED_OPERATIONS = 200;

/**
 * METRICS_OPERATIONS: operation names (comma-separated GraphQL names) that always get a
 * label of their own, whoever sends them and however many other names were seen. For
 * the operations the dashboards and alerts are about.
 */
export function metricsOperations(env: Env): string[] {
  const raw = optional(env, "METRICS_OPERATIONS");
  if (raw === undefined) return [];
  const names = raw.split(",").map((n) => n.trim()).filter(Boolean);
  const bad = names.find((n) => safeOperationName(n) !== n);
  if (bad !== undefined) throw new ConfigError(`METRICS_OPERATIONS: "${bad.slice(0, 40)}" is not a usable operation name (a GraphQL name of at most ${MAX_OPERATION_NAME} characters without a run of 4 digits).`);
  if (names.length > MAX_LISTED_OPERATIONS) throw new ConfigError(`METRICS_OPERATIONS lists ${names.length} names; at most ${MAX_LISTED_OPERATIONS}.`);
  return names;
}

/** The gateway names a subgraph fetch `<operation>__<subgraph>__<n>`: the client's name is the part before. */
const SUBGRAPH_FETCH_SUFFIX = /__[a-z]+__\d+$/;

/**
 * The operation label of a request. Names listed in METRICS_OPERATIONS always have
 * their own label. Other names take one of `max` first-come slots, but only from a
 * request that succeeded for a staff role: a customer, a channel or an anonymous
 * caller — anyone who can get a token — cannot fill the slots with junk names and push
 * the real operations into "other"; their unlisted names are "other" from the start.
 * Staff tokens are the hub's own people, and the names their tools send are the ones
 * worth a series.
 */
export class OperationLabels {
  private readonly seen = new Set<string>();
  private readonly listed: ReadonlySet<string>;
  constructor(
    private readonly max = MAX_OPERATION_LABELS,
    listed: readonly string[] = [],
  ) {
    this.listed = new Set(listed);
  }

  label(name: string | null | undefined, request: { ok: boolean; roles?: readonly string[] } = { ok: false }): string {
    const safe = safeOperationName(name);
    if (safe === "anonymous" || safe === "other") return safe;
    const asSent = safe.replace(SUBGRAPH_FETCH_SUFFIX, "");
    if (this.listed.has(asSent)) return asSent;
    if (this.seen.has(safe)) return safe;
    if (this.seen.size >= this.max || !request.ok || !request.roles?.some((r) => (STAFF_ROLES as readonly string[]).includes(r))) return "other";
    this.seen.add(safe);
    return safe;
  }
}

/** The outcome label of a GraphQL request: "ok", an error code of the hub's table, or "error". */
export function outcomeOf(code: unknown): string {
  if (code === undefined || code === null) return "ok";
  return isHubErrorCode(code) ? code : "error";
}

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly operations: OperationLabels;
  private readonly requests: Counter<"operation" | "outcome">;
  private readonly requestSeconds: Histogram<"operation" | "outcome">;

  constructor(
    readonly service: string,
    private readonly options: { processMetrics?: boolean; operations?: readonly string[] } = {},
  ) {
    this.operations = new OperationLabels(MAX_OPERATION_LABELS, options.operations);
    this.registry.setDefaultLabels({ service });
    this.requests = new Counter({
      name: "orderhub_graphql_requests_total",
      help: "GraphQL requests by operation name (METRICS_OPERATIONS, and up to 100 names first seen in a staff role's successful request; the rest are 'other') and outcome ('ok' or the first error code).",
      labelNames: ["operation", "outcome"],
      registers: [this.registry],
    });
    this.requestSeconds = new Histogram({
      name: "orderhub_graphql_request_duration_seconds",
      help: "GraphQL request latency, from the request's arrival to the last byte of the answer.",
      labelNames: ["operation", "outcome"],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
  }

  /** Records one GraphQL request; `operation` is the name as the client sent it, `roles` those of its verified token. */
  graphqlRequest(operation: string | null | undefined, outcome: string, seconds: number, roles?: readonly string[]): void {
    const labels = { operation: this.operations.label(operation, { ok: outcome === "ok", roles }), outcome };
    this.requests.inc(labels);
    this.requestSeconds.observe(labels, seconds);
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets = LATENCY_BUCKETS): Histogram<L> {
    return new Histogram({ name, help, labelNames: [...labelNames], buckets, registers: [this.registry] });
  }

  /**
   * A gauge read when Prometheus scrapes: `collect` returns the value (or one per label
   * set). The hook for parts that know a number only when asked (a bus's consumer lag,
   * the parked events table). A collect that fails leaves the gauge without any sample
   * for that scrape (prom-client would still print an unlabelled gauge's 0 after a reset,
   * a false "all is well" exactly when the database or the bus is down), counts the
   * failure in orderhub_metric_read_errors_total{metric}, and the other metrics are
   * still served. `onError` is told of the first failure and then at most once per
   * READ_ERROR_LOG_INTERVAL_MS while it lasts, not on every scrape.
   */
  gaugeFrom(name: string, help: string, collect: () => Promise<GaugeReading> | GaugeReading, labelNames: readonly string[] = [], onError?: (err: unknown, failuresSinceLastLine: number) => void): Gauge<string> {
    const readErrors = this.readErrors();
    let failed = false;
    let lastLogged: number | undefined;
    let unlogged = 0;
    const gauge = new Gauge({ name, help, labelNames: [...labelNames], registers: [this.registry] });
    // Read before the registry renders (see text()), so the error counter of the same scrape already counts a failure.
    this.readings.push(async () => {
      gauge.reset();
      let reading: GaugeReading;
      try {
        reading = await collect();
      } catch (err) {
        failed = true;
        readErrors.inc({ metric: name });
        unlogged++;
        const now = Date.now();
        if (lastLogged === undefined || now - lastLogged >= READ_ERROR_LOG_INTERVAL_MS) {
          onError?.(err, unlogged);
          lastLogged = now;
          unlogged = 0;
        }
        return;
      }
      failed = false;
      // Logged again at once the next time it fails after a success.
      lastLogged = undefined;
      unlogged = 0;
      if (typeof reading === "number") gauge.set(reading);
      else for (const r of reading) gauge.set(r.labels, r.value);
    });
    const get = gauge.get.bind(gauge);
    gauge.get = async () => {
      const metric = await get();
      return failed ? { ...metric, values: [] } : metric;
    };
    return gauge;
  }

  private readonly readings: Array<() => Promise<void>> = [];
  private readErrorCounter: Counter<"metric"> | undefined;

  private readErrors(): Counter<"metric"> {
    return (this.readErrorCounter ??= new Counter({
      name: "orderhub_metric_read_errors_total",
      help: "Scrape-time readings that failed (the database or the bus could not be read), by gauge; that gauge has no sample in the failed scrape.",
      labelNames: ["metric"],
      registers: [this.registry],
    }));
  }

  contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text of this service, and of the process when this service shows it. */
  async text(): Promise<string> {
    await Promise.all(this.readings.map((read) => read()));
    const own = await this.registry.metrics();
    return this.options.processMetrics === false ? own : `${own}\n${await processMetrics().metrics()}`;
  }
}

/**
 * METRICS_TOKEN: when set, /metrics answers only `Authorization: Bearer <token>`.
 * A Prometheus scraper cannot sign internal calls, so the subgraphs' /metrics is not
 * behind the gateway's signature; it carries no personal data, and the token keeps it
 * from whoever can reach the port.
 *
 * In production one of two is required: METRICS_TOKEN, or METRICS_INTERNAL_ONLY=true,
 * the operator's statement that /metrics cannot be reached from outside (the proxy in
 * front denies it, the subgraphs' ports are not published). Without either, a gateway
 * behind a plain proxy would show its metrics to the world, so it does not start.
 */
export function metricsToken(env: Env): string | undefined {
  const token = optional(env, "METRICS_TOKEN");
  const internalOnly = bool(env, "METRICS_INTERNAL_ONLY", false);
  if (token === undefined) {
    if (isProduction(env) && !internalOnly) {
      throw new ConfigError(
        `METRICS_TOKEN is required with NODE_ENV=${env.NODE_ENV}: set METRICS_TOKEN (at least 16 characters), or METRICS_INTERNAL_ONLY=true when /metrics can be reached only from the internal network.`,
      );
    }
    return undefined;
  }
  if (token.length < 16 || /\s/.test(token)) throw new ConfigError("METRICS_TOKEN must be at least 16 characters without spaces.");
  return token;
}

function sameToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  if (!match) return false;
  const a = Buffer.from(match[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** GET /metrics: the service's metrics in Prometheus text format, behind METRICS_TOKEN when set. */
export async function serveMetrics(metrics: ServiceMetrics, token: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (token !== undefined && !sameToken(req.headers.authorization, token)) {
    res.writeHead(401, { "content-type": "text/plain; charset=utf-8", "www-authenticate": "Bearer" });
    res.end("Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.\n");
    return;
  }
  const text = await metrics.text();
  res.writeHead(200, { "content-type": metrics.contentType(), "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Scrape-time gauges read from a database whose clock is UTC: SQLite returns "YYYY-MM-DD HH:MM:SS.mmm" strings. */
export function utcInstant(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

import type { DataSource } from "typeorm";
import { InProcessBus, type EventBus, type HubEvent } from "./events";
import type { Logger } from "./logging";
import { utcInstant, type ServiceMetrics } from "./metrics";

/**
 * The event spine's metrics of one service, and its per-event log line.
 */

/** The gauge name of events parked after too many failed deliveries. */
export const PARKED_EVENTS_METRIC = "orderhub_parked_events";

/**
 * Events this service's consumers hold: parked (waiting for an admin) and still being
 * retried or waiting behind one, read at scrape time on the (state, nextAttemptAt) index.
 */
export function deliveryGauges(metrics: ServiceMetrics, ds: DataSource, logger: Logger): void {
  const failed = (err: unknown, failures: number) => logger.warn({ err, failures }, "delivery metrics could not be read");
  const count = async (parked: boolean) => {
    const [row] = (await ds.query(`SELECT COUNT(*) AS n FROM delivery_holds WHERE state ${parked ? "=" : "<>"} 'PARKED'`)) as Array<{ n: number | string }>;
    return Number(row?.n ?? 0);
  };
  metrics.gaugeFrom(PARKED_EVENTS_METRIC, "Events parked after EVENT_MAX_DELIVERIES failed deliveries, waiting for an admin (parkedEvents).", () => count(true), [], failed);
  metrics.gaugeFrom("orderhub_held_deliveries", "Events held for retry, or waiting behind a held or parked event of their aggregate.", () => count(false), [], failed);
}

/**
 * Outbox backlog and the age of its oldest unpublished event, read from outbox_events
 * when Prometheus scrapes (one statement on the (publishedAt, recordedAt) index). Every
 * instance of a service reports the same numbers: they are the database's.
 */
export function outboxGauges(metrics: ServiceMetrics, ds: DataSource, logger: Logger): void {
  let reading: Promise<{ backlog: number; ageSeconds: number }> | undefined;
  // Both gauges come from one statement, shared by the two collects of one scrape.
  const read = () =>
    (reading ??= (async () => {
      try {
        const [row] = (await ds.query("SELECT COUNT(*) AS n, MIN(recordedAt) AS oldest FROM outbox_events WHERE publishedAt IS NULL")) as Array<{ n: number | string; oldest: unknown }>;
        const oldest = utcInstant(row?.oldest);
        return { backlog: Number(row?.n ?? 0), ageSeconds: oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0 };
      } finally {
        reading = undefined;
      }
    })());
  const failed = (err: unknown, failures: number) => logger.warn({ err, failures }, "outbox metrics could not be read");
  metrics.gaugeFrom("orderhub_outbox_backlog_events", "Events in this service's outbox not yet published to the bus.", async () => (await read()).backlog, [], failed);
  metrics.gaugeFrom(
    "orderhub_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox event (0 when the outbox is drained): how far the bus is behind this service's writes.",
    async () => (await read()).ageSeconds,
    [],
    failed,
  );
}

/** A bus that can tell how many events wait for a service's consumer (JetStream: the durable consumer's pending count). */
export interface ReportsConsumerLag {
  consumerLag(service: string): Promise<number>;
}

function reportsLag(bus: EventBus): bus is EventBus & ReportsConsumerLag {
  return typeof (bus as Partial<ReportsConsumerLag>).consumerLag === "function";
}

/**
 * Consumer lag (from the bus; the in-process bus delivers inside publish, so its lag is
 * always 0), events consumed by outcome, and one log line per consumed event. A service
 * without subscriptions has no consumer on the bus, hence no lag gauge (a reading would
 * only ever fail).
 */
export function consumerGauges(metrics: ServiceMetrics, service: string, bus: EventBus, logger: Logger, options: { consumes?: boolean } = {}) {
  const help = "Events published to the bus and not yet handled by this service's consumer.";
  const consumes = options.consumes ?? true;
  if (consumes && reportsLag(bus)) {
    metrics.gaugeFrom("orderhub_consumer_lag_events", help, () => bus.consumerLag(service), [], (err, failures) => logger.warn({ err, failures }, "consumer lag could not be read"));
  } else if (consumes && bus instanceof InProcessBus) metrics.gaugeFrom("orderhub_consumer_lag_events", help, () => 0);
  const consumed = metrics.counter("orderhub_events_consumed_total", "Events delivered to this service's consumer, by type and outcome (handled, failed: delivered again later).", ["type", "outcome"]);
  const seconds = metrics.histogram("orderhub_event_handling_duration_seconds", "Time to handle one delivered event, all of this service's subscriptions.", ["type"]);

  return {
    async delivering(event: HubEvent, work: () => Promise<void>): Promise<void> {
      const started = process.hrtime.bigint();
      // Event types are the hub's own names; bounded anyway, so a bug cannot grow the series.
      const type = /^[a-z_.]{1,60}$/.test(event.type) ? event.type : "other";
      const line = (outcome: string) => {
        const s = Number(process.hrtime.bigint() - started) / 1e9;
        consumed.inc({ type, outcome });
        seconds.observe({ type }, s);
        return { consumer: service, eventId: event.id, type: event.type, sequence: event.sequence, outcome, durationMs: Math.round(s * 10_000) / 10 };
      };
      try {
        await work();
      } catch (err) {
        logger.warn({ ...line("failed"), err }, "event");
        throw err;
      }
      logger.info(line("handled"), "event");
    },
  };
}

import type { HeadOutcome } from "./delivery";

/**
 * The internal route behind the admin's parked-events API: the gateway's operations
 * subgraph calls it on every service (signed, with the admin's principal) and merges
 * the answers. Parked events live in each service's own database, so each service lists
 * and retries its own, and records who did so.
 *
 * What both ends share, apart from the route itself (parked-events.ts): the gateway
 * imports this without the service's database code.
 */
export const PARKED_EVENTS_ROUTE = "/internal/parked-events";

/** Most ids one retry may name; also the largest page. */
export const MAX_PARKED_BATCH = 100;

/** A parked event as the route answers it (instants as ISO-8601 UTC). */
export interface ParkedEventView {
  key: number;
  consumer: string;
  eventId: string;
  type: string;
  aggregateId: string;
  sequence: number;
  attempts: number;
  lastError: string | null;
  firstFailedAt: string | null;
  parkedAt: string;
  waitingBehind: number;
}

/** The position after which a page starts: (parkedAt, service, key), oldest first. */
export interface ParkedCursor {
  parkedAt: string;
  service: string;
  key: number;
}

export interface RetryResultView {
  key: number;
  /** UNAVAILABLE only from the gateway: the service could not be asked. */
  outcome: HeadOutcome | "UNAVAILABLE";
  error: string | null;
  followersApplied: number;
}


import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import type { DeliveryConfig } from "./config";
import type { HubEvent } from "./events";
import { jsonText, LARGE_TEXT } from "./large-text";

/**
 * Where a held event stands. The lowest sequence of an aggregate among a service's
 * subscriptions is the head of its queue; the others wait behind it, whatever their
 * state says.
 */
export enum HoldState {
  /** Its delivery failed; the retry job tries it again at nextAttemptAt. */
  FAILING = "FAILING",
  /** Arrived while an earlier event of its aggregate was held; never tried yet. */
  WAITING = "WAITING",
  /** Failed EVENT_MAX_DELIVERIES times: only an admin's retry runs it again. */
  PARKED = "PARKED",
}

/**
 * An event a consumer could not apply, or one that waits behind such an event of the
 * same aggregate, so that a consumer sees each aggregate's events in sequence order
 * while events of other aggregates go on. The whole event is kept: the retry applies it
 * without the bus.
 */
@Entity("delivery_holds")
@Index("uq_delivery_holds_event", ["consumer", "eventId"], { unique: true })
// A queue is an aggregate's holds across the service's subscriptions, in sequence order.
@Index("ix_delivery_holds_aggregate", ["aggregateId", "sequence"])
@Index("ix_delivery_holds_due", ["state", "nextAttemptAt"])
@Index("ix_delivery_holds_parked", ["parkedAt", "id"])
export class DeliveryHoldRow {
  @PrimaryGeneratedColumn()
  id!: number;

  /** The subscription's name (as in processed_events). */
  @Column({ type: "varchar", length: 60 })
  consumer!: string;

  @Column({ type: "varchar", length: 36 })
  eventId!: string;

  @Column({ type: "varchar", length: 100 })
  aggregateId!: string;

  @Column({ type: "int" })
  sequence!: number;

  @Column({ type: "varchar", length: 60 })
  type!: string;

  @Column({ type: "varchar", length: 10 })
  state!: HoldState;

  /** Delivery attempts that failed (0 for an event that only waits). */
  @Column({ type: "int", default: 0 })
  attempts!: number;

  @Column({ type: "varchar", length: 500, nullable: true })
  lastError!: string | null;

  @Column({ type: "datetime", precision: 3 })
  heldAt!: Date;

  @Column({ type: "datetime", precision: 3, nullable: true })
  firstFailedAt!: Date | null;

  @Column({ type: "datetime", precision: 3 })
  nextAttemptAt!: Date;

  @Column({ type: "datetime", precision: 3, nullable: true })
  parkedAt!: Date | null;

  /** A retrier's claim on the head: others leave it alone until then (two instances, one attempt). */
  @Column({ type: "datetime", precision: 3, nullable: true })
  claimedUntil!: Date | null;

  @Column({ type: LARGE_TEXT, transformer: jsonText })
  event!: HubEvent;
}

/** Who looked at or retried parked events, when, and which. */
@Entity("delivery_audit")
@Index("ix_delivery_audit_at", ["at"])
export class DeliveryAuditRow {
  @PrimaryGeneratedColumn()
  id!: number;

  /** "list" or "retry". */
  @Column({ type: "varchar", length: 10 })
  action!: string;

  /** The principal's subject. */
  @Column({ type: "varchar", length: 120 })
  actor!: string;

  @Column({ type: "datetime", precision: 3 })
  at!: Date;

  /** The held rows' keys seen or retried, and for a retry what happened to each. */
  @Column({ type: LARGE_TEXT, transformer: jsonText })
  detail!: Record<string, unknown>;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const DELIVERY_ENTITIES: Function[] = [DeliveryHoldRow, DeliveryAuditRow];

/**
 * Pure: when to try again after the `attempts`-th failure. Exponential (base, 2×base,
 * 4×base, …) and bounded by maxDelayMs; no jitter, since one retrier per row (the claim)
 * already keeps instances from retrying in lockstep.
 */
export function nextAttemptAfter(attempts: number, failedAt: Date, cfg: Pick<DeliveryConfig, "baseDelayMs" | "maxDelayMs">): Date {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const delay = Math.min(cfg.baseDelayMs * 2 ** exponent, cfg.maxDelayMs);
  return new Date(failedAt.getTime() + delay);
}

/** An error as stored and shown to an admin: its message only, one line, bounded. */
export function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.replace(/\s+/g, " ").trim() || "(no message)").slice(0, 500);
}

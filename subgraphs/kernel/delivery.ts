import { intervalJob } from "./interval-job";
import { In, LessThan, type DataSource, type EntityManager } from "typeorm";
import { systemClock, type Clock } from "./clock";
import { inTransaction, writeLock } from "./database";
import { deliveryConfig, type DeliveryConfig } from "./config";
import { DeliveryAuditRow, DeliveryHoldRow, describeError, HoldState, nextAttemptAfter } from "./delivery-holds";
import { appendedEventCount, markProcessed, ProcessedEvent, type HubEvent, type OutboxRelay, type Subscription } from "./events";
import { log } from "./logging";
import type { BackgroundJob } from "./subgraph";

/** How long a claim on a head keeps other retriers away: far longer than one apply takes; if the claimer dies, it runs out. */
export const CLAIM_MS = 60_000;

export interface ConsumerOptions {
  clock?: Clock;
  config?: DeliveryConfig;
}

/** What became of a held event when its queue was run. */
export type HeadOutcome = "APPLIED" | "FAILED" | "PARKED" | "WAITING" | "BUSY" | "GONE";

/**
 * A service's side of the bus: hands each event to the subscriptions that take its
 * type, each at most once (consumeOnce semantics: the processed mark and the effect
 * commit together), then pokes the service's own relay, since a handler may have
 * appended events of its own.
 *
 * A subscription that throws does not stop the bus: the event is held for that
 * subscription (delivery_holds) and retried with backoff by the retry job, and later
 * events of the same aggregate wait behind it, for every subscription of the service:
 * a service's subscriptions depend on each other for one aggregate (a status change
 * needs the order.created another subscription keeps), so the queue is per (service,
 * aggregate) and the service sees an aggregate's events in sequence order while other
 * aggregates go on. Only when the hold itself cannot be written does deliver throw, so
 * the bus delivers the event again.
 */
export class ServiceConsumer {
  readonly types: readonly string[];
  readonly queues: HeldQueues;

  constructor(
    private readonly ds: DataSource,
    readonly service: string,
    private readonly subscriptions: readonly Subscription[],
    private readonly relay?: OutboxRelay,
    options: ConsumerOptions = {},
  ) {
    this.types = [...new Set(subscriptions.flatMap((s) => s.types))];
    this.queues = new HeldQueues(ds, subscriptions, options.clock ?? systemClock, options.config ?? deliveryConfig({}), relay);
  }

  async deliver(event: HubEvent): Promise<void> {
    let appended = false;
    for (const sub of this.subscriptions) {
      if (!sub.types.includes(event.type) || !wants(sub, event)) continue;
      if (await this.deliverTo(sub, event)) appended = true;
    }
    // Only a handler that appended events gives the relay something new; its poll covers the rest.
    if (appended) void this.relay?.poke();
  }

  /** Returns whether the handler appended events of its own. */
  private async deliverTo(sub: Subscription, event: HubEvent): Promise<boolean> {
    let appended = false;
    try {
      await inTransaction(this.ds, async (em) => {
        appended = false;
        // Locked, so a retrier that is releasing this queue finishes first (or sees our row).
        const queue = await this.queues.lockQueue(em, event.aggregateId);
        if (queue.some((h) => h.consumer === sub.consumer && h.eventId === event.id)) return; // already held: a redelivery changes nothing
        // An event earlier than every held one of its aggregate (out of order on the bus) has nothing to wait for.
        if (queue.length > 0 && event.sequence >= Math.min(...queue.map((h) => h.sequence))) {
          // A redelivery of one applied before the queue formed is done, not held.
          if (await em.existsBy(ProcessedEvent, { consumer: sub.consumer, eventId: event.id })) return;
          await em.insert(DeliveryHoldRow, this.queues.holdOf(sub.consumer, event, HoldState.WAITING) as never);
          return;
        }
        // The processed mark is the check: its key refuses a second one, so a redelivery
        // (or a concurrent delivery, which waits on our uncommitted row) ends here.
        if (!(await markProcessed(em, sub.consumer, event.id))) return;
        const before = appendedEventCount(em);
        await sub.apply(em, event);
        appended = appendedEventCount(em) > before;
      });
    } catch (err) {
      // Throws when even the hold cannot be written: the bus then delivers the event again.
      await this.queues.recordFirstFailure(sub.consumer, event, err);
      return false;
    }
    return appended;
  }
}

/** A `wants` that throws (a payload it did not expect) is taken as "wanted": apply then fails, and the event is held like any other failure. */
function wants(sub: Subscription, event: HubEvent): boolean {
  try {
    return sub.wants ? sub.wants(event) : true;
  } catch {
    return true;
  }
}

/**
 * The held events of one service, one queue per aggregate across all the service's
 * subscriptions (ordered by sequence, then by when held): recording a failure, and
 * running a queue from its head (the retry job, an admin's retry). The head of a queue
 * is always FAILING or PARKED: when a head is applied, the next one is made due in the
 * same transaction, so a retrier that dies half-way leaves a queue the job still runs.
 */
export class HeldQueues {
  private readonly byConsumer: Map<string, Subscription>;
  /** The service's subscriptions by name: the holds of these make up its queues. */
  readonly consumers: readonly string[];

  constructor(
    private readonly ds: DataSource,
    subscriptions: readonly Subscription[],
    readonly clock: Clock,
    readonly config: DeliveryConfig,
    private readonly relay?: OutboxRelay,
  ) {
    this.byConsumer = new Map(subscriptions.map((s) => [s.consumer, s]));
    this.consumers = [...this.byConsumer.keys()];
  }

  /** The holds of an aggregate's queue, locked (so deliveries and retriers of one queue take turns). */
  async lockQueue(em: EntityManager, aggregateId: string): Promise<Array<Pick<DeliveryHoldRow, "id" | "consumer" | "eventId" | "sequence">>> {
    if (this.consumers.length === 0) return [];
    return em.find(DeliveryHoldRow, { select: { id: true, consumer: true, eventId: true, sequence: true }, where: { consumer: In([...this.consumers]), aggregateId }, lock: writeLock(em) });
  }

  /** After a head was applied: the next hold of the queue, if it only waited, is due now. */
  private async promoteNext(em: EntityManager, aggregateId: string): Promise<void> {
    const next = await em.findOne(DeliveryHoldRow, { select: { id: true, state: true }, where: { consumer: In([...this.consumers]), aggregateId }, order: { sequence: "ASC", id: "ASC" } });
    if (next?.state === HoldState.WAITING) await em.update(DeliveryHoldRow, { id: next.id }, { state: HoldState.FAILING, nextAttemptAt: this.clock.now() });
  }

  holdOf(consumer: string, event: HubEvent, state: HoldState): Partial<DeliveryHoldRow> {
    const now = this.clock.now();
    return {
      consumer,
      eventId: event.id,
      aggregateId: event.aggregateId,
      sequence: event.sequence,
      type: event.type,
      state,
      attempts: 0,
      lastError: null,
      heldAt: now,
      firstFailedAt: null,
      nextAttemptAt: now,
      parkedAt: null,
      claimedUntil: null,
      event,
    };
  }

  async recordFirstFailure(consumer: string, event: HubEvent, err: unknown): Promise<void> {
    const error = describeError(err);
    const now = this.clock.now();
    const parked = this.config.maxDeliveries <= 1;
    await inTransaction(this.ds, async (em) => {
      if (await em.existsBy(ProcessedEvent, { consumer, eventId: event.id })) return;
      await this.lockQueue(em, event.aggregateId);
      if (await em.existsBy(DeliveryHoldRow, { consumer, eventId: event.id })) return;
      await em.insert(DeliveryHoldRow, {
        ...this.holdOf(consumer, event, parked ? HoldState.PARKED : HoldState.FAILING),
        attempts: 1,
        lastError: error,
        firstFailedAt: now,
        nextAttemptAt: nextAttemptAfter(1, now, this.config),
        parkedAt: parked ? now : null,
      } as never);
    });
    log().warn({ component: "delivery", consumer, eventId: event.id, type: event.type, aggregateId: event.aggregateId, sequence: event.sequence, parked, err }, parked ? "event could not be applied; parked" : "event could not be applied; held for retry");
  }

  /** The first held event of an aggregate's queue (the lowest sequence), or null when the queue is empty. */
  async headOf(aggregateId: string): Promise<DeliveryHoldRow | null> {
    if (this.consumers.length === 0) return null;
    return this.ds.getRepository(DeliveryHoldRow).findOne({ where: { consumer: In([...this.consumers]), aggregateId }, order: { sequence: "ASC", id: "ASC" } });
  }

  /**
   * Claims a hold for one attempt: a conditional update, so of several retriers (one per
   * instance) exactly one gets it. `mode` says which holds may be claimed: the retry
   * job takes due unparked ones, an admin's retry parked ones.
   */
  private async claim(hold: DeliveryHoldRow, now: Date, mode: "due" | "parked" | "follower"): Promise<boolean> {
    return inTransaction(this.ds, async (em) => {
      const qb = em
        .createQueryBuilder()
        .update(DeliveryHoldRow)
        .set({ claimedUntil: new Date(now.getTime() + CLAIM_MS) })
        .where("id = :id", { id: hold.id })
        .andWhere("(claimedUntil IS NULL OR claimedUntil < :now)", { now });
      if (mode === "parked") qb.andWhere("state = :parked", { parked: HoldState.PARKED });
      else qb.andWhere("state <> :parked", { parked: HoldState.PARKED });
      if (mode === "due") qb.andWhere("nextAttemptAt <= :now", { now });
      return (await qb.execute()).affected === 1;
    });
  }

  /**
   * One attempt at a claimed hold: applied, the processed mark written and the hold
   * removed in one transaction; or, on failure, the attempt counted (parked after the
   * last allowed one, or at once when `parkOnFailure`).
   */
  private async attempt(hold: DeliveryHoldRow, parkOnFailure: boolean): Promise<{ outcome: HeadOutcome; error?: string }> {
    const sub = this.byConsumer.get(hold.consumer);
    try {
      if (!sub) throw new Error(`No subscription named ${hold.consumer} in this service any more.`);
      const done = await inTransaction(this.ds, async (em) => {
        const mine = await em.findOne(DeliveryHoldRow, { select: { id: true }, where: { id: hold.id }, lock: writeLock(em) });
        if (!mine) return false;
        if (await markProcessed(em, hold.consumer, hold.eventId)) await sub.apply(em, hold.event);
        await em.delete(DeliveryHoldRow, { id: hold.id });
        await this.promoteNext(em, hold.aggregateId);
        return true;
      });
      return { outcome: done ? "APPLIED" : "GONE" };
    } catch (err) {
      const error = describeError(err);
      const now = this.clock.now();
      const attempts = hold.attempts + 1;
      const park = parkOnFailure || attempts >= this.config.maxDeliveries;
      await inTransaction(this.ds, (em) =>
        em.update(DeliveryHoldRow, { id: hold.id }, {
          attempts,
          lastError: error,
          firstFailedAt: hold.firstFailedAt ?? now,
          state: park ? HoldState.PARKED : HoldState.FAILING,
          parkedAt: park ? now : null,
          nextAttemptAt: nextAttemptAfter(attempts, now, this.config),
          claimedUntil: null,
        }),
      );
      if (park) log().warn({ component: "delivery", consumer: hold.consumer, eventId: hold.eventId, type: hold.type, aggregateId: hold.aggregateId, sequence: hold.sequence, attempts, err }, "event parked");
      return { outcome: park ? "PARKED" : "FAILED", error };
    }
  }

  /**
   * Runs a queue from a head already claimed: on success the followers, in sequence
   * order, until one fails or the queue is empty. Returns the first hold's outcome and
   * how many followers were applied after it.
   */
  private async runFrom(head: DeliveryHoldRow, parkOnFailure: boolean): Promise<{ outcome: HeadOutcome; error?: string; followersApplied: number }> {
    const first = await this.attempt(head, parkOnFailure);
    let followersApplied = 0;
    if (first.outcome !== "APPLIED" && first.outcome !== "GONE") return { ...first, followersApplied };
    for (;;) {
      const next = await this.headOf(head.aggregateId);
      if (!next || next.state === HoldState.PARKED) break;
      if (!(await this.claim(next, this.clock.now(), "follower"))) break;
      const r = await this.attempt(next, false);
      if (r.outcome !== "APPLIED") break;
      followersApplied++;
    }
    if (followersApplied || first.outcome === "APPLIED") void this.relay?.poke();
    return { ...first, followersApplied };
  }

  /**
   * The due heads (failing, not claimed, next attempt reached) of this service's own
   * subscriptions, oldest due first. Holds of a subscription the service no longer has
   * stay as they are (an admin sees them once parked) instead of failing for that reason.
   * A head is never WAITING (see promoteNext), so `state = FAILING` is an equality on
   * the (state, nextAttemptAt) index and the many holds that only wait are never read.
   */
  async dueHeads(now: Date, limit = 100): Promise<DeliveryHoldRow[]> {
    if (this.consumers.length === 0) return [];
    return this.ds
      .getRepository(DeliveryHoldRow)
      .createQueryBuilder("h")
      .where("h.state = :failing", { failing: HoldState.FAILING })
      .andWhere("h.nextAttemptAt <= :now", { now })
      .andWhere("h.consumer IN (:...consumers)", { consumers: this.consumers })
      .andWhere("(h.claimedUntil IS NULL OR h.claimedUntil < :now)", { now })
      .andWhere(
        "NOT EXISTS (SELECT 1 FROM delivery_holds p WHERE p.aggregateId = h.aggregateId AND p.consumer IN (:...consumers) AND (p.sequence < h.sequence OR (p.sequence = h.sequence AND p.id < h.id)))",
      )
      .orderBy("h.nextAttemptAt", "ASC")
      .addOrderBy("h.id", "ASC")
      .take(limit)
      .getMany();
  }

  /** Deletes audit rows older than the retention; returns how many. */
  async pruneAudit(): Promise<number> {
    if (!this.ds.isInitialized) return 0;
    const cutoff = new Date(this.clock.now().getTime() - this.config.auditRetentionDays * 86_400_000);
    return (await this.ds.getRepository(DeliveryAuditRow).delete({ at: LessThan(cutoff) })).affected ?? 0;
  }

  /** Retries every due head once (and its followers on success). Returns how many heads were attempted. */
  async retryDue(): Promise<number> {
    if (!this.ds.isInitialized) return 0;
    let attempted = 0;
    const seen = new Set<number>();
    for (;;) {
      const now = this.clock.now();
      const heads = (await this.dueHeads(now)).filter((h) => !seen.has(h.id));
      if (heads.length === 0) return attempted;
      for (const head of heads) {
        seen.add(head.id);
        if (!(await this.claim(head, now, "due"))) continue;
        attempted++;
        await this.runFrom(head, false);
      }
    }
  }

  /**
   * An admin's retry of a parked hold: its queue is run now from its head. If the parked
   * hold is not the head (an earlier event of its aggregate arrived after it was
   * parked), the earlier ones go first and it stays behind them if they fail.
   */
  async retryParked(holdId: number): Promise<{ outcome: HeadOutcome; error?: string; followersApplied: number }> {
    const hold = await this.ds.getRepository(DeliveryHoldRow).findOneBy({ id: holdId });
    if (!hold || hold.state !== HoldState.PARKED) return { outcome: "GONE", followersApplied: 0 };
    const now = this.clock.now();
    if (!(await this.claim(hold, now, "parked"))) return { outcome: "BUSY", followersApplied: 0 };
    const release = () => inTransaction(this.ds, (em) => em.update(DeliveryHoldRow, { id: hold.id }, { claimedUntil: null }));
    // A hold of a subscription the service no longer has is in no queue: its attempt says why it cannot run.
    if (!this.byConsumer.has(hold.consumer)) return { ...(await this.attempt(hold, true)), followersApplied: 0 };
    for (;;) {
      const head = await this.headOf(hold.aggregateId);
      if (!head) return { outcome: "GONE", followersApplied: 0 };
      if (head.id === hold.id) return this.runFrom({ ...hold, claimedUntil: null } as DeliveryHoldRow, true);
      // An earlier event of the aggregate arrived after this one was parked: it goes first.
      const parked = head.state === HoldState.PARKED;
      if (!(await this.claim(head, now, parked ? "parked" : "follower"))) {
        await release();
        return { outcome: "BUSY", followersApplied: 0 };
      }
      const r = await this.attempt(head, parked);
      if (r.outcome !== "APPLIED" && r.outcome !== "GONE") {
        await release();
        return { outcome: "WAITING", error: r.error, followersApplied: 0 };
      }
    }
  }
}

/**
 * The retry job of a service: every EVENT_RETRY_POLL_SECONDS it retries the due heads of
 * its held queues, and deletes audit rows older than DELIVERY_AUDIT_RETENTION_DAYS. Runs of one instance never overlap; instances share the work through
 * the claims. Tests call runOnce with a moved clock.
 */
export function deliveryRetryJob(queues: HeldQueues, label: string): BackgroundJob {
  return intervalJob(
    queues.config.pollSeconds * 1000,
    async () => {
      const attempted = await queues.retryDue();
      await queues.pruneAudit();
      return attempted;
    },
    (err) => log().error({ component: "delivery", consumer: label, err }, "retry run failed, will try again"),
  );
}

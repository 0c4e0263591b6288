import type { DataSource } from "typeorm";
import { systemClock, type Clock } from "./clock";
import { inTransaction, writeLock } from "./database";
import { deliveryConfig, type DeliveryConfig } from "./config";
import { DeliveryHoldRow, describeError, HoldState, nextAttemptAfter } from "./delivery-holds";
import { ProcessedEvent, type HubEvent, type OutboxRelay, type Subscription } from "./events";
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
 * events of the same aggregate wait behind it, so each subscription sees an aggregate's
 * events in sequence order while other aggregates go on. Only when the hold itself
 * cannot be written does deliver throw, so the bus delivers the event again.
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
    for (const sub of this.subscriptions) {
      if (!sub.types.includes(event.type)) continue;
      await this.deliverTo(sub, event);
    }
    void this.relay?.poke();
  }

  private async deliverTo(sub: Subscription, event: HubEvent): Promise<void> {
    try {
      await inTransaction(this.ds, async (em) => {
        if (await em.existsBy(ProcessedEvent, { consumer: sub.consumer, eventId: event.id })) return;
        // Locked, so a retrier that is releasing this queue finishes first (or sees our row).
        const queue = await em.find(DeliveryHoldRow, { select: { id: true, eventId: true }, where: { consumer: sub.consumer, aggregateId: event.aggregateId }, lock: writeLock(em) });
        if (queue.some((h) => h.eventId === event.id)) return; // already held: a redelivery changes nothing
        if (queue.length > 0) {
          await em.insert(DeliveryHoldRow, this.queues.holdOf(sub.consumer, event, HoldState.WAITING) as never);
          return;
        }
        await em.insert(ProcessedEvent, { consumer: sub.consumer, eventId: event.id, processedAt: new Date() });
        await sub.apply(em, event);
      });
    } catch (err) {
      // Throws when even the hold cannot be written: the bus then delivers the event again.
      await this.queues.recordFirstFailure(sub.consumer, event, err);
    }
  }
}

/**
 * The held events of one service, per (subscription, aggregate) queue: recording a
 * failure, and running a queue from its head (the retry job, an admin's retry).
 */
export class HeldQueues {
  private readonly byConsumer: Map<string, Subscription>;

  constructor(
    private readonly ds: DataSource,
    subscriptions: readonly Subscription[],
    readonly clock: Clock,
    readonly config: DeliveryConfig,
    private readonly relay?: OutboxRelay,
  ) {
    this.byConsumer = new Map(subscriptions.map((s) => [s.consumer, s]));
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
      await em.find(DeliveryHoldRow, { select: { id: true }, where: { consumer, aggregateId: event.aggregateId }, lock: writeLock(em) });
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
    console.warn(`[delivery] ${consumer} could not apply ${event.type} ${event.id} (${event.aggregateId} #${event.sequence}); held for retry: ${error}`);
  }

  /** The first held event of a queue (the lowest sequence), or null when the queue is empty. */
  async headOf(consumer: string, aggregateId: string): Promise<DeliveryHoldRow | null> {
    return this.ds.getRepository(DeliveryHoldRow).findOne({ where: { consumer, aggregateId }, order: { sequence: "ASC", id: "ASC" } });
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
        if (!(await em.existsBy(ProcessedEvent, { consumer: hold.consumer, eventId: hold.eventId }))) {
          await em.insert(ProcessedEvent, { consumer: hold.consumer, eventId: hold.eventId, processedAt: new Date() });
          await sub.apply(em, hold.event);
        }
        await em.delete(DeliveryHoldRow, { id: hold.id });
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
      if (park) console.warn(`[delivery] ${hold.consumer}: ${hold.type} ${hold.eventId} (${hold.aggregateId} #${hold.sequence}) parked after ${attempts} attempts: ${error}`);
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
      const next = await this.headOf(head.consumer, head.aggregateId);
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
   * The due heads (not parked, not claimed, next attempt reached) of this service's own
   * subscriptions, oldest due first. Holds of a subscription the service no longer has
   * stay as they are (an admin sees them once parked) instead of failing for that reason.
   */
  async dueHeads(now: Date, limit = 100): Promise<DeliveryHoldRow[]> {
    if (this.byConsumer.size === 0) return [];
    return this.ds
      .getRepository(DeliveryHoldRow)
      .createQueryBuilder("h")
      .where("h.consumer IN (:...consumers)", { consumers: [...this.byConsumer.keys()] })
      .andWhere("h.state <> :parked", { parked: HoldState.PARKED })
      .andWhere("h.nextAttemptAt <= :now", { now })
      .andWhere("(h.claimedUntil IS NULL OR h.claimedUntil < :now)", { now })
      .andWhere("NOT EXISTS (SELECT 1 FROM delivery_holds p WHERE p.consumer = h.consumer AND p.aggregateId = h.aggregateId AND p.sequence < h.sequence)")
      .orderBy("h.nextAttemptAt", "ASC")
      .addOrderBy("h.id", "ASC")
      .take(limit)
      .getMany();
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
    for (;;) {
      const head = await this.headOf(hold.consumer, hold.aggregateId);
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
 * its held queues. Runs of one instance never overlap; instances share the work through
 * the claims. Tests call runOnce with a moved clock.
 */
export function deliveryRetryJob(queues: HeldQueues, label: string): BackgroundJob {
  let chain: Promise<unknown> = Promise.resolve();
  let busy = false;
  function runOnce(): Promise<number> {
    const run = chain.then(async () => {
      busy = true;
      try {
        return await queues.retryDue();
      } finally {
        busy = false;
      }
    });
    chain = run.catch(() => undefined);
    return run;
  }
  const timer = setInterval(() => {
    if (busy) return;
    void runOnce().catch((err) => console.error(`[delivery] ${label}: retry run failed, will try again: ${describeError(err)}`));
  }, queues.config.pollSeconds * 1000);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await chain;
    },
  };
}

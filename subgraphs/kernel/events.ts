import { Column, Entity, In, Index, IsNull, PrimaryColumn, type DataSource, type EntityManager } from "typeorm";
import { v7 as uuidv7 } from "uuid";
import { insertUnlessPresent, inTransaction, isSqlite } from "./database";
import { jsonText, LARGE_TEXT } from "./large-text";
import { JobLease, Lease } from "./lease";
import { log } from "./logging";

/** A state change, as appended to the outbox and carried by the bus. */
export interface HubEvent {
  id: string;
  aggregateId: string;
  sequence: number;
  type: string;
  occurredAt: string;
  recordedAt: string;
  source: string;
  actor: string | null;
  payload: Record<string, unknown>;
}

@Entity("outbox_events")
@Index("uq_outbox_aggregate_seq", ["aggregateId", "sequence"], { unique: true })
@Index("ix_outbox_unpublished", ["publishedAt", "recordedAt"])
export class OutboxEvent {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 100 })
  aggregateId!: string;

  @Column({ type: "int" })
  sequence!: number;

  @Column({ type: "varchar", length: 60 })
  type!: string;

  @Column({ type: "datetime", precision: 3 })
  occurredAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  recordedAt!: Date;

  @Column({ type: "varchar", length: 40 })
  source!: string;

  @Column({ type: "varchar", length: 120, nullable: true })
  actor!: string | null;

  /** As large as the change it records (order.created carries every line). */
  @Column({ type: LARGE_TEXT, transformer: jsonText })
  payload!: Record<string, unknown>;

  @Column({ type: "datetime", precision: 3, nullable: true })
  publishedAt!: Date | null;

  /**
   * The event's place in the service's feed, given by the relay when it publishes (the one
   * relay holding the lease, max + 1): unlike the id or recordedAt, both made before the
   * transaction commits, it grows in the order events become visible, so a reader paging
   * by it never finds a new event behind its cursor. Null until published. Never inserted
   * (insert: false), so migrations written before it still append events.
   */
  @Index("uq_outbox_position", { unique: true })
  @Column({ type: "bigint", nullable: true, insert: false, transformer: { to: (v: unknown) => v, from: (v: unknown) => (v === null || v === undefined ? null : Number(v)) } })
  position!: number | null;
}

/** Events this subgraph has consumed, so a redelivered event changes nothing. */
@Entity("processed_events")
export class ProcessedEvent {
  @PrimaryColumn({ type: "varchar", length: 60 })
  consumer!: string;

  @PrimaryColumn({ type: "varchar", length: 36 })
  eventId!: string;

  @Column({ type: "datetime", precision: 3 })
  processedAt!: Date;
}


export interface NewEvent {
  aggregateId: string;
  type: string;
  occurredAt?: Date;
  source: string;
  actor?: string | null;
  payload: Record<string, unknown>;
}

/** The last sequence number per aggregate; its row lock orders concurrent appends. */
@Entity("aggregate_sequences")
export class AggregateSequence {
  @PrimaryColumn({ type: "varchar", length: 100 })
  aggregateId!: string;

  @Column({ type: "int" })
  last!: number;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const EVENT_ENTITIES: Function[] = [OutboxEvent, ProcessedEvent, AggregateSequence, JobLease];

/**
 * Takes the next `count` sequence numbers of an aggregate and returns the first. The
 * upsert holds the counter row's lock until the caller's transaction ends, so concurrent
 * appends to one aggregate queue up instead of colliding, whatever rows the callers
 * locked themselves. The new value comes back with the upsert itself: RETURNING on
 * SQLite, LAST_INSERT_ID(expr) (the insert id of the reply) on MySQL/MariaDB.
 */
async function takeSequences(em: EntityManager, aggregateId: string, count: number): Promise<number> {
  if (isSqlite(em.connection)) {
    const [row] = (await em.query(
      "INSERT INTO aggregate_sequences (aggregateId, last) VALUES (?, ?) ON CONFLICT(aggregateId) DO UPDATE SET last = last + excluded.last RETURNING last",
      [aggregateId, count],
    )) as Array<{ last: number }>;
    return Number(row.last) - count + 1;
  }
  const result = (await em.query(
    "INSERT INTO aggregate_sequences (aggregateId, last) VALUES (?, LAST_INSERT_ID(?)) ON DUPLICATE KEY UPDATE last = LAST_INSERT_ID(last + ?)",
    [aggregateId, count, count],
  )) as { insertId?: number | string };
  const last = Number(result.insertId);
  if (!Number.isSafeInteger(last) || last < count) throw new Error(`The sequence of ${aggregateId} came back as ${String(result.insertId)}.`);
  return last - count + 1;
}

/** Appends an event in the caller's transaction, with the aggregate's next sequence number. */
export async function appendEvent(em: EntityManager, e: NewEvent): Promise<OutboxEvent> {
  const [row] = await appendEvents(em, e.aggregateId, [e]);
  return row;
}

/**
 * Events appended so far through each query runner. A caller compares the count before
 * and after its work to tell whether that work appended any (only then is the relay worth
 * poking). A count, not a flag: SQLite shares one runner among all transactions in turn.
 */
const appendCounts = new WeakMap<object, number>();

export function appendedEventCount(em: EntityManager): number {
  return appendCounts.get(em.queryRunner ?? em) ?? 0;
}

/**
 * Appends several events of one aggregate in the caller's transaction, in the given
 * order, with consecutive sequence numbers: one counter upsert and one multi-row INSERT.
 */
export async function appendEvents(em: EntityManager, aggregateId: string, events: ReadonlyArray<Omit<NewEvent, "aggregateId">>): Promise<OutboxEvent[]> {
  if (events.length === 0) return [];
  // The sequence first: it waits for the aggregate's earlier appends to commit, so a time
  // (and a UUIDv7 id) taken after it orders these events after them too.
  const first = await takeSequences(em, aggregateId, events.length);
  const now = new Date();
  const rows = events.map((e, i) =>
    em.create(OutboxEvent, {
      id: uuidv7(),
      aggregateId,
      sequence: first + i,
      type: e.type,
      occurredAt: e.occurredAt ?? now,
      recordedAt: now,
      source: e.source,
      actor: e.actor ?? null,
      payload: e.payload,
      publishedAt: null,
    }),
  );
  await em.insert(OutboxEvent, rows as never);
  appendCounts.set(em.queryRunner ?? em, appendedEventCount(em) + rows.length);
  return rows;
}

export function toHubEvent(row: OutboxEvent): HubEvent {
  return {
    id: row.id,
    aggregateId: row.aggregateId,
    sequence: row.sequence,
    type: row.type,
    occurredAt: row.occurredAt.toISOString(),
    recordedAt: row.recordedAt.toISOString(),
    source: row.source,
    actor: row.actor,
    payload: row.payload,
  };
}

/**
 * One handler of a service: its name is the consumer in processed_events, and
 * `apply` runs in the transaction that marks the event processed for it.
 */
export interface Subscription {
  consumer: string;
  types: readonly string[];
  /**
   * Optional, pure: whether an event of these types means anything to apply. One it does
   * not want is passed by without a transaction (no processed mark: a redelivery is
   * passed by again), e.g. status changes other than the one a subscription follows.
   * Only deliveries from the bus ask it: apply must still take an unwanted event as a
   * no-op (a hold written before, a replay).
   */
  wants?(event: HubEvent): boolean;
  apply(em: EntityManager, event: HubEvent): Promise<void>;
}

/** Called with every event of the types a service consumes; a throw means "not handled: deliver it again later". */
export type Deliver = (event: HubEvent) => Promise<void>;

/**
 * Carries outbox events to the services that consume them. Each service has one consumer
 * (`consume`), which gets the events in the order they were published, one at a time.
 */
/**
 * The bus will never take this event as it is (e.g. it is larger than the server accepts):
 * retrying cannot help, so the relay reports it once and its aggregate waits.
 */
export class EventRefusedError extends Error {
  constructor(
    readonly event: HubEvent,
    message: string,
  ) {
    super(message);
    this.name = "EventRefusedError";
  }
}

export interface EventBus {
  /** Resolves once the bus has the event (in process: once every consumer handled it). */
  publish(event: HubEvent): Promise<void>;
  consume(service: string, types: readonly string[], deliver: Deliver): void;
  /** Begins delivering to the consumers registered so far. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The embedded bus: delivers to every consumer in this process, in the order they
 * registered. publish() resolves only when every consumer has taken the event, so the
 * relay publishes it again if one could not.
 */
export class InProcessBus implements EventBus {
  private readonly consumers: Array<{ service: string; types: readonly string[]; deliver: Deliver }> = [];

  consume(service: string, types: readonly string[], deliver: Deliver): void {
    this.consumers.push({ service, types, deliver });
  }

  async publish(event: HubEvent): Promise<void> {
    for (const c of this.consumers) {
      if (c.types.includes(event.type)) await c.deliver(event);
    }
  }

  async start(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Events the relay reads per round. */
export const RELAY_BATCH = 100;
/** The lease's name in job_leases: one relay per service database publishes at a time. */
export const RELAY_LEASE = "outbox-relay";

/**
 * Publishes the outbox to the bus, marking each event once the bus took it. Polls, and
 * can be poked after a commit for low latency.
 *
 * - Only committed events: on SQLite (one connection shared by all work) every read and
 *   mark goes through inTransaction, which waits for any open transaction to end, so the
 *   relay never sees, nor commits along with, someone else's uncommitted rows; on
 *   MySQL/MariaDB reads are plain statements (committed rows only) and marks transactions.
 *   The bus is called outside those transactions (an in-process consumer writes too).
 * - Each aggregate's events in sequence order: rounds are taken by recordedAt, but the
 *   clocks of several writers need not agree, so each aggregate's unpublished events
 *   before the round's are fetched too, and each aggregate is published by sequence.
 *   An aggregate whose event the bus refused waits (its order matters) for the next
 *   pass; the pass goes on past it, so other aggregates are never held up.
 * - Several instances of a service (MySQL/MariaDB): only the holder of the RELAY_LEASE
 *   publishes. One that dies stops renewing it; another takes over when it runs out.
 * - The feed position: given at marking, max + 1, in publish order; the unique index
 *   refuses a second relay that would give the same numbers (its events are published
 *   again later, which consumers ignore).
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private again = false;
  /** Events the bus refused for good and the relay has reported already. */
  private readonly refused = new Set<string>();
  private stopped = false;
  /** Nothing is published before start(): every consumer of the bus must be listening first. */
  private started = false;
  readonly lease: Lease;

  constructor(
    private readonly ds: DataSource,
    private readonly bus: EventBus,
    private readonly pollMs = 200,
    leaseMs = 15_000,
  ) {
    this.lease = new Lease(ds, RELAY_LEASE, leaseMs);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.timer = setInterval(() => this.poke(), this.pollMs);
    this.timer.unref();
    void this.poke();
  }

  /** Stops publishing and gives the lease up, so another instance takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    if (this.started && !isSqlite(this.ds)) await this.lease.release().catch((err) => log().error({ component: "outbox", err }, "could not release the relay lease"));
  }

  poke(): Promise<void> {
    if (this.stopped || !this.started) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain()
      .catch((err) => log().warn({ component: "outbox", err }, "publish failed, will retry"))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          void this.poke();
        }
      });
    return this.running;
  }

  /**
   * Whether this instance publishes now: the lease holder does. SQLite serves one process,
   * so there is nobody to share with, and a restart after a crash need not wait out the
   * lease of the process that died.
   */
  private mayPublish(): Promise<boolean> {
    return isSqlite(this.ds) ? Promise.resolve(true) : this.lease.hold();
  }

  /** One pass over the outbox, in rounds by (recordedAt, id), while this instance holds the lease. */
  private async drain(): Promise<void> {
    if (!this.ds.isInitialized) return;
    const waiting = new Map<string, Error>();
    let after: OutboxEvent | undefined;
    try {
      while (!this.stopped && (await this.mayPublish())) {
        const read = async (em: EntityManager) => {
          const round = await readRound(em, after);
          return { round, earlier: round.length ? await unpublishedBefore(em, round) : [] };
        };
        // MySQL/MariaDB: a plain read sees committed rows only, statement by statement, as a
        // READ COMMITTED transaction would; SQLite must queue behind an open transaction.
        const { round, earlier } = isSqlite(this.ds) ? await inTransaction(this.ds, read) : await read(this.ds.manager);
        if (round.length === 0) return;
        after = round[round.length - 1];
        const published: string[] = [];
        try {
          for (const row of inPublishOrder([...earlier, ...round])) {
            // A slow bus may outlast the lease: stop, and renew it before going on.
            if (!isSqlite(this.ds) && !this.lease.held) break;
            if (waiting.has(row.aggregateId)) continue;
            try {
              await this.bus.publish(toHubEvent(row));
              published.push(row.id);
            } catch (err) {
              waiting.set(row.aggregateId, err as Error);
              // Refused for good: said once per event, not on every pass; the row and its aggregate wait for an operator.
              if (err instanceof EventRefusedError && !this.refused.has(row.id)) {
                this.refused.add(row.id);
                log().error({ component: "outbox", eventId: row.id, aggregateId: row.aggregateId, err }, "the bus refuses this event; its aggregate waits");
              }
            }
          }
        } finally {
          // Also when something threw: consumers ignore a redelivery, so marking late is
          // safe, and what the bus took should not go out again.
          if (published.length) await inTransaction(this.ds, (em) => markPublished(em, published));
        }
        if (round.length < RELAY_BATCH) return;
      }
    } finally {
      const retrying = [...waiting.values()].filter((e) => !(e instanceof EventRefusedError));
      if (retrying.length) log().error({ component: "outbox", waitingAggregates: retrying.length, err: retrying[0] }, "aggregates wait for the bus, will retry");
    }
  }
}

/** The next unpublished events by (recordedAt, id), after the given one. */
function readRound(em: EntityManager, after: OutboxEvent | undefined): Promise<OutboxEvent[]> {
  const qb = em.getRepository(OutboxEvent).createQueryBuilder("e").where("e.publishedAt IS NULL");
  if (after) qb.andWhere("(e.recordedAt > :at OR (e.recordedAt = :at AND e.id > :id))", { at: after.recordedAt, id: after.id });
  return qb.orderBy("e.recordedAt", "ASC").addOrderBy("e.id", "ASC").limit(RELAY_BATCH).getMany();
}

/** The unpublished events of the round's aggregates that come before the round's own by sequence. */
function unpublishedBefore(em: EntityManager, round: OutboxEvent[]): Promise<OutboxEvent[]> {
  const lowest = new Map<string, number>();
  for (const r of round) lowest.set(r.aggregateId, Math.min(r.sequence, lowest.get(r.aggregateId) ?? Infinity));
  const params: Record<string, unknown> = {};
  const terms = [...lowest].map(([aggregateId, sequence], i) => {
    Object.assign(params, { [`a${i}`]: aggregateId, [`s${i}`]: sequence });
    return `(e.aggregateId = :a${i} AND e.sequence < :s${i})`;
  });
  return em.getRepository(OutboxEvent).createQueryBuilder("e").where("e.publishedAt IS NULL").andWhere(`(${terms.join(" OR ")})`, params).getMany();
}

/**
 * The order to publish in: by (recordedAt, id), except that each aggregate's events go
 * by sequence. Every place an aggregate's event holds in time order gets that
 * aggregate's next sequence, so when the times agree with the sequences (the usual
 * case) nothing moves, and events of different aggregates keep their time order.
 */
function inPublishOrder(rows: OutboxEvent[]): OutboxEvent[] {
  const byTime = [...rows].sort((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const next = new Map<string, OutboxEvent[]>();
  for (const r of rows) next.set(r.aggregateId, [...(next.get(r.aggregateId) ?? []), r]);
  for (const events of next.values()) events.sort((a, b) => a.sequence - b.sequence);
  return byTime.map((r) => next.get(r.aggregateId)!.shift()!);
}

/** Marks events published, giving them the next feed positions in the order they were published. */
async function markPublished(em: EntityManager, ids: string[]): Promise<void> {
  const [{ last }] = await em.query("SELECT MAX(`position`) AS last FROM outbox_events");
  const first = Number(last ?? 0) + 1;
  const params: Record<string, unknown> = {};
  const whens = ids.map((id, i) => {
    Object.assign(params, { [`i${i}`]: id, [`p${i}`]: first + i });
    return `WHEN :i${i} THEN :p${i}`;
  });
  await em
    .createQueryBuilder()
    .update(OutboxEvent)
    .set({ publishedAt: new Date(), position: () => `CASE id ${whens.join(" ")} END` })
    .where({ id: In(ids), publishedAt: IsNull() })
    .setParameters(params)
    .execute();
}

/**
 * Writes the processed mark of an event for a consumer, in the caller's transaction;
 * false when the consumer has one already (the event was applied: nothing to do). The
 * insert is the check, one statement instead of a read and a write. A duplicate key
 * fails that statement only, on MySQL/MariaDB and SQLite alike: the transaction goes on
 * and commits nothing of it.
 */
export function markProcessed(em: EntityManager, consumer: string, eventId: string): Promise<boolean> {
  return insertUnlessPresent(em, ProcessedEvent, { consumer, eventId, processedAt: new Date() });
}

/**
 * Applies `work` for an event at most once per consumer: the processed mark and the
 * effect commit together.
 */
export async function consumeOnce(ds: DataSource, consumer: string, event: HubEvent, work: (em: EntityManager) => Promise<void>): Promise<void> {
  await inTransaction(ds, async (em) => {
    if (await markProcessed(em, consumer, event.id)) await work(em);
  });
}

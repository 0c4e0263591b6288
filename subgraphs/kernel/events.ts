import { Column, Entity, In, Index, IsNull, PrimaryColumn, type DataSource, type EntityManager } from "typeorm";
import { v7 as uuidv7 } from "uuid";
import { inTransaction, isSqlite } from "./database";
import { jsonText, LARGE_TEXT } from "./large-text";
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
export const EVENT_ENTITIES: Function[] = [OutboxEvent, ProcessedEvent, AggregateSequence];

/**
 * Takes the next sequence number of an aggregate. The upsert holds the counter row's
 * lock until the caller's transaction ends, so concurrent appends to one aggregate
 * queue up instead of colliding, whatever rows the callers locked themselves.
 */
async function nextSequence(em: EntityManager, aggregateId: string): Promise<number> {
  const upsert = isSqlite(em.connection)
    ? "INSERT INTO aggregate_sequences (aggregateId, last) VALUES (?, 1) ON CONFLICT(aggregateId) DO UPDATE SET last = last + 1"
    : "INSERT INTO aggregate_sequences (aggregateId, last) VALUES (?, 1) ON DUPLICATE KEY UPDATE last = last + 1";
  await em.query(upsert, [aggregateId]);
  const row = await em.findOneByOrFail(AggregateSequence, { aggregateId });
  return Number(row.last);
}

/** Appends an event in the caller's transaction, with the aggregate's next sequence number. */
export async function appendEvent(em: EntityManager, e: NewEvent): Promise<OutboxEvent> {
  const now = new Date();
  const row = em.create(OutboxEvent, {
    id: uuidv7(),
    aggregateId: e.aggregateId,
    sequence: await nextSequence(em, e.aggregateId),
    type: e.type,
    occurredAt: e.occurredAt ?? now,
    recordedAt: now,
    source: e.source,
    actor: e.actor ?? null,
    payload: e.payload,
    publishedAt: null,
  });
  await em.insert(OutboxEvent, row as never);
  return row;
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
  apply(em: EntityManager, event: HubEvent): Promise<void>;
}

/** Called with every event of the types a service consumes; a throw means "not handled: deliver it again later". */
export type Deliver = (event: HubEvent) => Promise<void>;

/**
 * Carries outbox events to the services that consume them. Each service has one consumer
 * (`consume`), which gets the events in the order they were published, one at a time.
 */
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

/**
 * Publishes the outbox to the bus in recorded order, marking each event once the bus
 * took it. Polls, and can be poked after a commit for low latency.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Nothing is published before start(): every consumer of the bus must be listening first. */
  private started = false;

  constructor(
    private readonly ds: DataSource,
    private readonly bus: EventBus,
    private readonly pollMs = 200,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.timer = setInterval(() => this.poke(), this.pollMs);
    this.timer.unref();
    void this.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
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

  private async drain(): Promise<void> {
    if (!this.ds.isInitialized) return;
    for (;;) {
      const batch = await this.ds.getRepository(OutboxEvent).find({
        where: { publishedAt: IsNull() },
        order: { recordedAt: "ASC", id: "ASC" },
        take: 100,
      });
      if (batch.length === 0) return;
      // Mark what the bus took in one statement, also when a later event fails:
      // consumers ignore a redelivery, so marking late is safe, marking early is not.
      const published: string[] = [];
      try {
        for (const row of batch) {
          await this.bus.publish(toHubEvent(row));
          published.push(row.id);
        }
      } finally {
        if (published.length) await this.ds.getRepository(OutboxEvent).update({ id: In(published) }, { publishedAt: new Date() });
      }
      if (batch.length < 100) return;
    }
  }
}

/**
 * Applies `work` for an event at most once per consumer: the processed mark and the
 * effect commit together.
 */
export async function consumeOnce(ds: DataSource, consumer: string, event: HubEvent, work: (em: EntityManager) => Promise<void>): Promise<void> {
  await inTransaction(ds, async (em) => {
    const seen = await em.findOneBy(ProcessedEvent, { consumer, eventId: event.id });
    if (seen) return;
    await em.insert(ProcessedEvent, { consumer, eventId: event.id, processedAt: new Date() });
    await work(em);
  });
}

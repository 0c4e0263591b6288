import type { DataSource } from "typeorm";
import { ConfigError, int } from "../kernel/config";
import type { Clock } from "../kernel/clock";
import { inTransaction } from "../kernel/database";
import type { OutboxRelay } from "../kernel/events";
import type { BackgroundJob } from "../kernel/subgraph";
import { CHANNELS } from "../kernel/types";
import { ExceptionKind, OrderExceptionRow, OrderRow } from "./entities";
import { TERMINAL } from "./lifecycle";
import { lockOrder, recordException } from "./order-service";
import { OrderStatus } from "./status";
import { log } from "../kernel/logging";

/**
 * How long an order may sit in a stage before it is an SLA_BREACH. SLA_MINUTES is the
 * default (30); SLA_OVERRIDES refines it per stage and per channel, e.g.
 * "SHIPPED=4320,TAOBAO:PAID=10" (channel-specific beats stage-wide).
 */
export interface SlaPolicy {
  defaultMinutes: number;
  overrides: Map<string, number>;
}

export const WATCHED: OrderStatus[] = Object.values(OrderStatus).filter((s) => !TERMINAL.includes(s));

export function parseSlaPolicy(env: Record<string, string | undefined>): SlaPolicy {
  const defaultMinutes = int(env, "SLA_MINUTES", 30, 1, 1_000_000);
  const overrides = new Map<string, number>();
  for (const part of (env.SLA_OVERRIDES ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^(?:([A-Z]+):)?([A-Z_]+)=(\d+)$/.exec(part);
    if (!m || !WATCHED.includes(m[2] as OrderStatus) || Number(m[3]) < 1 || (m[1] && !(CHANNELS as string[]).includes(m[1]))) {
      throw new ConfigError(`SLA_OVERRIDES entry "${part}" is invalid: use STAGE=minutes or CHANNEL:STAGE=minutes with a stage of ${WATCHED.join(", ")} and a channel of ${CHANNELS.join(", ")}.`);
    }
    overrides.set(m[1] ? `${m[1]}:${m[2]}` : m[2], Number(m[3]));
  }
  return { defaultMinutes, overrides };
}

export function slaMinutes(policy: SlaPolicy, stage: string, channel: string): number {
  return policy.overrides.get(`${channel}:${stage}`) ?? policy.overrides.get(stage) ?? policy.defaultMinutes;
}

/** Pure: is an order that entered `stage` at `since` overdue at `now`? */
export function isBreached(policy: SlaPolicy, stage: string, channel: string, since: Date, now: Date): boolean {
  return now.getTime() - since.getTime() > slaMinutes(policy, stage, channel) * 60_000;
}

/**
 * The SQL condition "past its SLA at `now`" for the given policy: one clause per stage
 * and group of channels with the same SLA, so the database picks only late orders and
 * the index on (status, statusChangedAt) serves each clause.
 */
function lateCondition(policy: SlaPolicy, now: Date): { sql: string; params: Record<string, unknown> } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  WATCHED.forEach((stage, s) => {
    const byMinutes = new Map<number, string[]>();
    for (const channel of CHANNELS) {
      const minutes = slaMinutes(policy, stage, channel);
      byMinutes.set(minutes, [...(byMinutes.get(minutes) ?? []), channel]);
    }
    [...byMinutes].forEach(([minutes, channels], g) => {
      const k = `${s}_${g}`;
      clauses.push(`(o.status = :stage${k} AND o.channel IN (:...channels${k}) AND o.statusChangedAt < :cutoff${k})`);
      Object.assign(params, { [`stage${k}`]: stage, [`channels${k}`]: channels, [`cutoff${k}`]: new Date(now.getTime() - minutes * 60_000) });
    });
  });
  return { sql: clauses.join(" OR "), params };
}

export const SLA_BATCH = 500;

/**
 * Scans for orders past their stage's SLA and opens one SLA_BREACH per order and stage.
 * Held orders are paused. The query leaves out orders that already have a breach for
 * their current stage (an anti-join), so a backlog of old breaches never hides a new
 * one; it walks the late orders in keyset batches until none is left.
 * Runs on an interval; tests call runOnce with a moved clock.
 */
export function slaWatcher(ds: DataSource, clock: Clock, relay: OutboxRelay, env: Record<string, string | undefined>): BackgroundJob {
  const policy = parseSlaPolicy(env);
  const everySeconds = int(env, "SLA_CHECK_SECONDS", 60, 1, 86_400);

  /** The next batch of late orders without a breach for their stage, after (changedAt, id). */
  function lateOrders(now: Date, after: { changedAt: Date; id: number } | null) {
    const late = lateCondition(policy, now);
    const qb = ds
      .getRepository(OrderRow)
      .createQueryBuilder("o")
      .where(`(${late.sql})`, late.params)
      .andWhere("o.onHold = :onHold", { onHold: false })
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM order_exceptions x WHERE x.orderId = o.id AND x.kind = :breach AND x.stage = o.status)`,
        { breach: ExceptionKind.SLA_BREACH },
      );
    if (after) qb.andWhere("(o.statusChangedAt > :afterAt OR (o.statusChangedAt = :afterAt AND o.id > :afterId))", { afterAt: after.changedAt, afterId: after.id });
    return qb.orderBy("o.statusChangedAt", "ASC").addOrderBy("o.id", "ASC").take(SLA_BATCH).getMany();
  }

  async function openBreach(candidate: OrderRow, now: Date): Promise<number> {
    return inTransaction(ds, async (em) => {
      const order = await lockOrder(em, candidate.id);
      // It may have moved or been held since the scan.
      if (order.status !== candidate.status || order.onHold || !isBreached(policy, order.status, order.channel, order.statusChangedAt, now)) return 0;
      // One breach per order and stage: once staff resolved it, it does not come back.
      const known = await em.countBy(OrderExceptionRow, { orderId: order.id, kind: ExceptionKind.SLA_BREACH, stage: order.status });
      if (known > 0) return 0;
      const minutes = slaMinutes(policy, order.status, order.channel);
      await recordException(em, order, ExceptionKind.SLA_BREACH, order.status, `In ${order.status} since ${order.statusChangedAt.toISOString()}, longer than its ${minutes}-minute SLA.`, clock);
      return 1;
    });
  }

  /** Runs under way, for stop() to wait on. */
  const running = new Set<Promise<unknown>>();
  function runOnce(): Promise<number> {
    const run = check();
    const settled = run.catch(() => undefined);
    running.add(settled);
    void settled.then(() => running.delete(settled));
    return run;
  }

  async function check(): Promise<number> {
    const now = clock.now();
    let opened = 0;
    let after: { changedAt: Date; id: number } | null = null;
    for (;;) {
      const batch = await lateOrders(now, after);
      for (const candidate of batch) opened += await openBreach(candidate, now);
      if (batch.length < SLA_BATCH) break;
      const last = batch[batch.length - 1];
      after = { changedAt: last.statusChangedAt, id: last.id };
    }
    if (opened) void relay.poke();
    return opened;
  }

  const timer = setInterval(() => void runOnce().catch((err) => log().error({ component: "sla", err }, "SLA check failed; next run retries")), everySeconds * 1000);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await Promise.all([...running]);
    },
  };
}

import { In, LessThan, type DataSource } from "typeorm";
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
 * Scans for orders past their stage's SLA and opens one SLA_BREACH per order and stage.
 * Held orders are paused. Runs on an interval; tests call runOnce with a moved clock.
 */
export function slaWatcher(ds: DataSource, clock: Clock, relay: OutboxRelay, env: Record<string, string | undefined>): BackgroundJob {
  const policy = parseSlaPolicy(env);
  const everySeconds = int(env, "SLA_CHECK_SECONDS", 60, 1, 86_400);
  const shortest = Math.min(policy.defaultMinutes, ...policy.overrides.values());

  async function runOnce(): Promise<number> {
    const now = clock.now();
    // Only orders older than the shortest SLA can be late: the index on (status, statusChangedAt) serves this.
    const candidates = await ds.getRepository(OrderRow).find({
      where: { status: In(WATCHED), onHold: false, statusChangedAt: LessThan(new Date(now.getTime() - shortest * 60_000)) },
      order: { statusChangedAt: "ASC" },
      take: 1000,
    });
    let opened = 0;
    for (const candidate of candidates) {
      if (!isBreached(policy, candidate.status, candidate.channel, candidate.statusChangedAt, now)) continue;
      opened += await inTransaction(ds, async (em) => {
        const order = await lockOrder(em, candidate.id);
        if (order.status !== candidate.status || order.onHold) return 0;
        // One breach per order and stage: once staff resolved it, it does not come back.
        const known = await em.countBy(OrderExceptionRow, { orderId: order.id, kind: ExceptionKind.SLA_BREACH, stage: order.status });
        if (known > 0) return 0;
        const minutes = slaMinutes(policy, order.status, order.channel);
        await recordException(em, order, ExceptionKind.SLA_BREACH, order.status, `In ${order.status} since ${order.statusChangedAt.toISOString()}, longer than its ${minutes}-minute SLA.`, clock);
        return 1;
      });
    }
    if (opened) void relay.poke();
    return opened;
  }

  const timer = setInterval(() => void runOnce().catch((err) => console.error("[sla]", err)), everySeconds * 1000);
  timer.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}

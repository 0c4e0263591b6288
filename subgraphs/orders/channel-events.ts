import { GraphQLError } from "graphql";
import type { DataSource, EntityManager } from "typeorm";
import type { Clock } from "../kernel/clock";
import { inTransaction, isUniqueViolation, writeLock } from "../kernel/database";
import { badInput } from "../kernel/errors";
import { toGlobalId } from "../kernel/global-id";
import type { Channel } from "../kernel/types";
import type { CanonicalEvent } from "./channels/canonical";
import { ChannelEventRow, ChannelEventStatus, OrderRow } from "./entities";
import { parseInstant } from "../kernel/time-window";
import { incomingFromEvent, planOrder, shippingOf } from "./intake";
import { decideStatus, targetOf } from "./lifecycle";
import { createOrder, lockOrder, lockOrderByChannelId, moveTo, updateDetails } from "./order-service";
import { OrderStatus } from "./status";

export type EventOutcome = "applied" | "duplicate" | "held" | "ignored";
export interface EventResult {
  eventId: string;
  outcome: EventOutcome;
  /** The order's global ID. */
  order?: string;
  note?: string;
}

/**
 * Applies canonical events from one channel delivery, each exactly once:
 * - an event id seen before is a duplicate and changes nothing;
 * - an event for an order the hub has not seen is held, and applied when the order arrives;
 * - a status event moves the order by the lifecycle rules (stale ones are recorded and ignored);
 * - an illegal transition is a CONFLICT and nothing is stored.
 * The raw payload is kept with every accepted event.
 */
export async function receiveChannelEvents(ds: DataSource, channel: Channel, rawPayload: string, events: CanonicalEvent[], clock: Clock): Promise<EventResult[]> {
  const results: EventResult[] = [];
  for (const event of events) results.push(await receiveOne(ds, channel, rawPayload, event, clock));
  return results;
}

/**
 * The first attempt leaves the checks to the unique keys: it inserts the event without
 * looking it up, and for order.created the order without looking for it. A key that is
 * taken (an event seen before, an order that exists, or a concurrent delivery of either)
 * rolls the attempt back, and the second one reads first: a duplicate, or an order to apply to.
 */
async function receiveOne(ds: DataSource, channel: Channel, rawPayload: string, event: CanonicalEvent, clock: Clock, firstAttempt = true): Promise<EventResult> {
  const occurredAt = parseInstant(event.occurredAt, "occurredAt");
  const channelOrderId = String(event.order?.channelOrderId ?? "").trim();
  if (!channelOrderId) throw badInput("order.channelOrderId is required.", { field: "order.channelOrderId" });
  try {
    return await inTransaction(ds, async (em) => {
      if (!firstAttempt && (await em.findOneBy(ChannelEventRow, { channel, eventId: event.eventId }))) return { eventId: event.eventId, outcome: "duplicate" as const };
      const stored = em.create(ChannelEventRow, {
        channel,
        eventId: event.eventId,
        type: event.type,
        channelOrderId,
        occurredAt,
        receivedAt: clock.now(),
        status: ChannelEventStatus.HELD,
        note: null,
        orderId: null,
        canonical: event as unknown as Record<string, unknown>,
        rawPayload,
      });
      stored.id = Number((await em.insert(ChannelEventRow, stored as never)).identifiers[0].id);
      const creates = event.type === "order.created";
      let order = creates && firstAttempt ? null : await lockOrderByChannelId(em, channel, channelOrderId);
      if (!order && !creates) {
        return { eventId: event.eventId, outcome: "held" as const, note: "order not seen yet; applied when it arrives" };
      }
      if (!order) {
        const plan = planOrder(incomingFromEvent(channel, channelOrderId, event));
        const id = await createOrder(em, plan, { source: channel.toLowerCase(), actor: `channel:${channel.toLowerCase()}`, occurredAt, channelEventId: stored.id }, clock);
        await mark(em, stored, ChannelEventStatus.APPLIED, id, null);
        await applyHeld(em, id, channel, channelOrderId, clock);
        return { eventId: event.eventId, outcome: "applied" as const, order: toGlobalId("Order", id) };
      }
      const outcome = await applyToOrder(em, order, stored, clock);
      return { eventId: event.eventId, outcome, order: toGlobalId("Order", order.id), ...(stored.note ? { note: stored.note } : {}) };
    });
  } catch (err) {
    if (firstAttempt && isUniqueViolation(err)) return receiveOne(ds, channel, rawPayload, event, clock, false);
    throw err;
  }
}

async function mark(em: EntityManager, row: ChannelEventRow, status: ChannelEventStatus, orderId: number, note: string | null) {
  row.status = status;
  row.orderId = orderId;
  row.note = note;
  await em.update(ChannelEventRow, { id: row.id }, { status, orderId, note });
}

/** Applies one non-creating event to an existing, locked order. */
async function applyToOrder(em: EntityManager, order: OrderRow, stored: ChannelEventRow, clock: Clock): Promise<EventOutcome> {
  const event = stored.canonical as unknown as CanonicalEvent;
  const provenance = { source: order.channel.toLowerCase(), actor: `channel:${order.channel.toLowerCase()}`, occurredAt: stored.occurredAt, channelEventId: stored.id };
  if (event.type === "order.created" || event.type === "order.updated") {
    if (stored.occurredAt <= order.sourceUpdatedAt) {
      await mark(em, stored, ChannelEventStatus.IGNORED, order.id, "older than the order's current state");
      return "ignored";
    }
    const changed = await updateDetails(em, order, {
      shippingAddress: shippingOf(event.order) ?? undefined,
      promisedDeliveryBy: event.order.promisedDeliveryBy ? parseInstant(event.order.promisedDeliveryBy, "order.promisedDeliveryBy") : undefined,
    }, provenance);
    if (changed.length === 0) {
      await mark(em, stored, ChannelEventStatus.IGNORED, order.id, "nothing changed");
      return "ignored";
    }
    await mark(em, stored, ChannelEventStatus.APPLIED, order.id, `changed ${changed.join(", ")}`);
    return "applied";
  }
  const decision = decideStatus(order.status, targetOf(event.type, order.status));
  if (decision.kind === "apply") {
    await moveTo(em, order, decision.path, provenance, clock);
    await mark(em, stored, ChannelEventStatus.APPLIED, order.id, decision.path.length > 1 ? `implied ${decision.path.slice(0, -1).join(", ")}` : null);
    return "applied";
  }
  await mark(em, stored, ChannelEventStatus.IGNORED, order.id, decision.kind === "stale" ? decision.reason : "no status change");
  return "ignored";
}

/**
 * Applies events that waited for this order, oldest first, each in its own savepoint.
 * One that the lifecycle refuses by now (e.g. paid after a cancel) is rolled back
 * alone and kept as ignored, with the reason. Any other failure (the database) fails
 * the whole delivery: nothing of it is kept, and the channel sends it again.
 */
export async function applyHeld(em: EntityManager, orderId: number, channel: Channel, channelOrderId: string, clock: Clock) {
  // A locking read: an event being held right now by a transaction that found no order
  // (it looked before this one created it) is waited for, not missed. A plain read would
  // skip it, and nothing else ever applies a held event.
  const held = await em.find(ChannelEventRow, {
    where: { channel, channelOrderId, status: ChannelEventStatus.HELD },
    order: { occurredAt: "ASC", id: "ASC" },
    lock: writeLock(em),
  });
  for (const row of held) {
    try {
      // A nested transaction is a savepoint on both drivers.
      await em.transaction(async (savepoint) => applyToOrder(savepoint, await lockOrder(savepoint, orderId), row, clock));
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      await mark(em, row, ChannelEventStatus.IGNORED, orderId, err.message.slice(0, 200));
    }
  }
}

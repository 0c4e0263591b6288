import { In, IsNull, type EntityManager } from "typeorm";
import type { Clock } from "../kernel/clock";
import { writeLock } from "../kernel/database";
import { appendEvent, appendEvents, type NewEvent } from "../kernel/events";
import { notFound } from "../kernel/errors";
import { toGlobalId } from "../kernel/global-id";
import { NEXT_VERSION, updateVersioned } from "../kernel/row-version";
import { ExceptionKind, KnownSkuRow, OrderExceptionRow, OrderLineRow, OrderRow, type AddressSnapshot } from "./entities";
import type { PlannedOrder } from "./intake";
import { assertTransition } from "./lifecycle";
import { orderNumber } from "./schema";
import { OrderStatus } from "./status";

/**
 * Every write to an order goes through here, inside the caller's transaction, so the
 * row change and its history event always commit together.
 */
export interface Provenance {
  source: string;
  actor: string | null;
  occurredAt?: Date;
  reason?: string | null;
  channelEventId?: number | null;
}

export const ORDER_CREATED = "order.created";
export const STATUS_CHANGED = "order.status_changed";
export const FULFILLMENT_REQUESTED = "order.fulfillment_requested";
export const ORDER_UPDATED = "order.updated";

/**
 * Reads the order with a row lock (MySQL); SQLite transactions are already one at a
 * time. Writes of what was read go through updateVersioned, which refuses a stale read.
 */
export async function lockOrder(em: EntityManager, id: number): Promise<OrderRow> {
  const row = await em.findOne(OrderRow, { where: { id }, lock: writeLock(em) });
  if (!row) throw notFound(`No order ${toGlobalId("Order", id)}.`);
  return row;
}

/** Writes an order that was read with lockOrder (or created in this transaction), checking its version. */
export function updateOrder(em: EntityManager, order: OrderRow, changes: Partial<Omit<OrderRow, "id" | "version">>): Promise<void> {
  return updateVersioned(em, OrderRow, order, changes, `Order ${toGlobalId("Order", order.id)}`);
}

export async function lockOrderByChannelId(em: EntityManager, channel: string, channelOrderId: string): Promise<OrderRow | null> {
  return em.findOne(OrderRow, {
    where: { channel: channel as OrderRow["channel"], channelOrderId },
    lock: writeLock(em),
  });
}

/** A history event of an order, with its provenance. */
function history(type: string, p: Provenance, payload: Record<string, unknown>): Omit<NewEvent, "aggregateId"> {
  return {
    type,
    occurredAt: p.occurredAt,
    source: p.source,
    actor: p.actor,
    payload: { ...payload, ...(p.reason ? { reason: p.reason } : {}), ...(p.channelEventId ? { channelEventId: p.channelEventId } : {}) },
  };
}

/** What the hub does on its own (hand-offs, exceptions): the provenance of its events. */
const AUTOMATION: Provenance = { source: "hub", actor: "automation" };
const HAND_OFF: Provenance = { ...AUTOMATION, reason: "paid: handed to fulfillment" };

/** The fulfillment.requested payload: what the warehouse needs to ship the order. */
function fulfillmentRequest(order: Pick<OrderRow, "id" | "channel" | "shippingAddress">, lines: ReadonlyArray<Pick<OrderLineRow, "id" | "channelSkuId" | "quantity">>) {
  return {
    orderKey: order.id,
    channel: order.channel,
    shippingAddress: order.shippingAddress,
    lines: lines.map((l) => ({ lineKey: l.id, channelSkuId: l.channelSkuId, quantity: l.quantity })),
  };
}

function record(em: EntityManager, order: OrderRow, type: string, p: Provenance, payload: Record<string, unknown>) {
  return appendEvent(em, { aggregateId: toGlobalId("Order", order.id), ...history(type, p, payload) });
}

/**
 * Stores a new order with its lines and history in a few statements: the SKU mappings
 * are read first, so the row is written once in the state it ends in (a paid order with
 * every SKU mapped goes straight on to fulfillment) and its events, the same ones the
 * step-by-step path records (created, exception opened, status changes, fulfillment
 * requested), are appended in one INSERT. Returns the order's id.
 */
export async function createOrder(em: EntityManager, plan: PlannedOrder, p: Provenance, clock: Clock): Promise<number> {
  const now = clock.now();
  const skus = [...new Set(plan.lines.map((l) => l.channelSkuId))];
  const known = new Set((await em.findBy(KnownSkuRow, { channel: plan.channel, channelSkuId: In(skus) })).map((k) => k.channelSkuId));
  const missing = skus.filter((s) => !known.has(s));
  const paid = plan.status === OrderStatus.PAID;
  const handedOff = paid && missing.length === 0;
  // Each status step counts as a write of the row, as moveTo counts it.
  const path = handedOff ? [OrderStatus.PAID, OrderStatus.FULFILLING] : paid ? [OrderStatus.PAID] : [];
  const occurredAt = p.occurredAt ?? plan.placedAt;
  const status = path.length ? path[path.length - 1] : OrderStatus.PENDING_PAYMENT;
  const inserted = await em.insert(OrderRow, {
    channel: plan.channel,
    channelOrderId: plan.channelOrderId,
    status,
    placedAt: plan.placedAt,
    buyerChannelCustomerId: plan.buyer.channelCustomerId,
    currency: plan.currency,
    subtotalMinor: plan.subtotalMinor,
    discountMinor: plan.discountMinor,
    shippingMinor: plan.shippingMinor,
    totalMinor: plan.totalMinor,
    shippingAddress: plan.shippingAddress,
    promisedDeliveryBy: plan.promisedDeliveryBy,
    statusChangedAt: now,
    sourceUpdatedAt: occurredAt,
    onHold: false,
    holdReason: null,
    number: null,
    version: 1 + path.length,
  });
  const id = Number(inserted.identifiers[0].id);
  await em.update(OrderRow, { id }, { number: orderNumber(id) });
  const insertedLines = await em.insert(OrderLineRow, plan.lines.map((l) => em.create(OrderLineRow, { ...l, orderId: id })));
  const lines = plan.lines.map((l, i) => ({ ...l, id: Number(insertedLines.identifiers[i]?.id) }));
  if (lines.some((l) => !Number.isSafeInteger(l.id) || l.id < 1)) throw new Error(`The ids of order ${id}'s lines did not come back from the INSERT.`);
  const events: Array<Omit<NewEvent, "aggregateId">> = [
    history(ORDER_CREATED, { ...p, occurredAt }, {
      orderKey: id,
      channel: plan.channel,
      channelOrderId: plan.channelOrderId,
      currency: plan.currency,
      status: OrderStatus.PENDING_PAYMENT,
      buyer: plan.buyer,
      shippingAddress: plan.shippingAddress,
      // Whether the channel said the recipient is the buyer: only then is the address evidence of who bought.
      receiverIsBuyer: plan.receiverIsBuyer,
      lines: lines.map((l) => ({ lineKey: l.id, channelSkuId: l.channelSkuId, quantity: l.quantity, unitPriceMinor: l.unitPriceMinor, discountMinor: l.discountMinor })),
      totalMinor: plan.totalMinor,
      placedAt: plan.placedAt.toISOString(),
    }),
  ];
  if (missing.length) {
    await em.insert(OrderExceptionRow, {
      orderId: id,
      kind: ExceptionKind.UNMAPPED_SKU,
      stage: OrderStatus.PENDING_PAYMENT,
      detail: `No product is mapped for ${plan.channel} SKU ${missing.join(", ")}.`.slice(0, 500),
      openedAt: clock.now(),
    });
    events.push(history("order.exception_opened", AUTOMATION, { kind: ExceptionKind.UNMAPPED_SKU, skus: missing }));
  }
  if (paid) events.push(history(STATUS_CHANGED, p, { from: OrderStatus.PENDING_PAYMENT, to: OrderStatus.PAID }));
  if (handedOff) {
    events.push(history(STATUS_CHANGED, HAND_OFF, { from: OrderStatus.PAID, to: OrderStatus.FULFILLING }));
    events.push(history(FULFILLMENT_REQUESTED, AUTOMATION, fulfillmentRequest({ id, channel: plan.channel, shippingAddress: plan.shippingAddress }, lines)));
  }
  await appendEvents(em, toGlobalId("Order", id), events);
  return id;
}

/**
 * Moves the order through `path` (each step must be allowed), one history event per
 * step, then runs the automation: a paid order goes to fulfillment at once unless it
 * is held or has an unmapped SKU.
 */
export async function moveTo(em: EntityManager, order: OrderRow, path: OrderStatus[], p: Provenance, clock: Clock): Promise<OrderRow> {
  let current = order;
  for (const to of path) {
    assertTransition(current.status, to);
    const now = clock.now();
    await updateOrder(em, current, {
      status: to,
      statusChangedAt: now,
      ...(p.occurredAt && p.occurredAt > current.sourceUpdatedAt ? { sourceUpdatedAt: p.occurredAt } : {}),
    });
    await record(em, current, STATUS_CHANGED, p, { from: current.status, to });
    current = await em.findOneByOrFail(OrderRow, { id: current.id });
  }
  return handOffIfReady(em, current, clock);
}

/** Order data a channel may change after the order was created; a field left out stays as it is. */
export interface OrderDetails {
  shippingAddress?: AddressSnapshot | null;
  promisedDeliveryBy?: Date | null;
}

const ADDRESS_KEYS = ["province", "city", "district", "detail", "recipient", "phone"] as const;
function sameAddress(a: AddressSnapshot | null, b: AddressSnapshot | null): boolean {
  if (!a || !b) return a === b;
  return ADDRESS_KEYS.every((k) => (a[k] ?? null) === (b[k] ?? null));
}

/**
 * Applies newer channel data to the order, with one order.updated event naming what
 * changed and the new values. Data equal to what is stored changes nothing and appends
 * nothing; only the source time the order is up to date with moves on (so an older
 * event cannot overwrite it later), and the order's own updatedAt stays.
 * Returns the fields that changed.
 */
export async function updateDetails(em: EntityManager, order: OrderRow, details: OrderDetails, p: Provenance & { occurredAt: Date }): Promise<string[]> {
  const changes: Partial<Pick<OrderRow, "shippingAddress" | "promisedDeliveryBy">> = {};
  if (details.shippingAddress !== undefined && !sameAddress(details.shippingAddress, order.shippingAddress)) changes.shippingAddress = details.shippingAddress;
  if (details.promisedDeliveryBy !== undefined && details.promisedDeliveryBy?.getTime() !== order.promisedDeliveryBy?.getTime()) {
    changes.promisedDeliveryBy = details.promisedDeliveryBy;
  }
  const changed = Object.keys(changes);
  const sourceUpdatedAt = p.occurredAt.getTime() > order.sourceUpdatedAt.getTime() ? p.occurredAt : order.sourceUpdatedAt;
  if (changed.length === 0) {
    // Only the source's clock moved: the row is written all the same, so it counts as a
    // write (version), but updatedAt keeps telling when the order itself last changed.
    if (sourceUpdatedAt.getTime() !== order.sourceUpdatedAt.getTime()) {
      await em.createQueryBuilder().update(OrderRow).set({ sourceUpdatedAt, updatedAt: () => "updatedAt", ...NEXT_VERSION }).where("id = :id", { id: order.id }).execute();
    }
    return [];
  }
  await updateOrder(em, order, { ...changes, sourceUpdatedAt });
  await record(em, order, ORDER_UPDATED, p, {
    orderKey: order.id,
    channel: order.channel,
    buyer: { channelCustomerId: order.buyerChannelCustomerId },
    changed,
    ...("shippingAddress" in changes ? { shippingAddress: changes.shippingAddress } : {}),
    ...("promisedDeliveryBy" in changes ? { promisedDeliveryBy: changes.promisedDeliveryBy?.toISOString() ?? null } : {}),
  });
  return changed;
}

export async function handOffIfReady(em: EntityManager, order: OrderRow, clock: Clock): Promise<OrderRow> {
  if (order.status !== OrderStatus.PAID || order.onHold) return order;
  const blocked = await em.countBy(OrderExceptionRow, { orderId: order.id, kind: ExceptionKind.UNMAPPED_SKU, resolvedAt: IsNull() });
  if (blocked > 0) return order;
  const lines = await em.find(OrderLineRow, { where: { orderId: order.id }, order: { lineNo: "ASC" } });
  const moved = await moveTo(em, order, [OrderStatus.FULFILLING], HAND_OFF, clock);
  await record(em, moved, FULFILLMENT_REQUESTED, AUTOMATION, fulfillmentRequest(order, lines));
  return moved;
}

/**
 * A SKU got mapped: orders whose only missing SKUs are now known get their exception
 * resolved by the system and, if paid, go to fulfillment.
 */
export async function resolveUnmapped(em: EntityManager, orderId: number, clock: Clock): Promise<void> {
  const order = await lockOrder(em, orderId);
  const open = await em.findOneBy(OrderExceptionRow, { orderId, kind: ExceptionKind.UNMAPPED_SKU, resolvedAt: IsNull() });
  if (!open) return;
  const lines = await em.findBy(OrderLineRow, { orderId });
  const skus = [...new Set(lines.map((l) => l.channelSkuId))];
  const known = await em.countBy(KnownSkuRow, { channel: order.channel, channelSkuId: In(skus) });
  if (known < skus.length) return;
  await em.update(OrderExceptionRow, { id: open.id }, { resolvedAt: clock.now(), resolvedBy: "system", resolution: "every SKU is mapped now" });
  await record(em, order, "order.exception_resolved", AUTOMATION, { kind: open.kind, exceptionKey: open.id });
  await handOffIfReady(em, order, clock);
}

export async function setHold(em: EntityManager, id: number, hold: boolean, reason: string | null, actor: string, clock: Clock): Promise<OrderRow> {
  const order = await lockOrder(em, id);
  if (order.onHold === hold) return order;
  await updateOrder(em, order, { onHold: hold, holdReason: hold ? reason : null });
  await record(em, order, hold ? "order.held" : "order.released", { source: "api", actor, reason }, {});
  const updated = await em.findOneByOrFail(OrderRow, { id });
  return hold ? updated : handOffIfReady(em, updated, clock);
}

export async function recordException(em: EntityManager, order: OrderRow, kind: ExceptionKind, stage: string | null, detail: string, clock: Clock) {
  await em.insert(OrderExceptionRow, { orderId: order.id, kind, stage, detail: detail.slice(0, 500), openedAt: clock.now() });
  await record(em, order, "order.exception_opened", AUTOMATION, { kind, stage, detail });
}

export async function resolveException(em: EntityManager, id: number, actor: string, note: string, clock: Clock): Promise<OrderExceptionRow> {
  const row = await em.findOneBy(OrderExceptionRow, { id });
  if (!row) throw notFound(`No order exception ${id}.`);
  const order = await lockOrder(em, row.orderId);
  const fresh = await em.findOneByOrFail(OrderExceptionRow, { id });
  if (fresh.resolvedAt) return fresh;
  await em.update(OrderExceptionRow, { id }, { resolvedAt: clock.now(), resolvedBy: actor, resolution: note });
  await record(em, order, "order.exception_resolved", { source: "api", actor, reason: note }, { kind: row.kind, exceptionKey: id });
  if (row.kind === ExceptionKind.UNMAPPED_SKU) await handOffIfReady(em, order, clock);
  return em.findOneByOrFail(OrderExceptionRow, { id });
}

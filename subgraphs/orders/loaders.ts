import DataLoader from "dataloader";
import { In, type DataSource } from "typeorm";
import { buyerLinkLoader, buyerOwnerLoader } from "../kernel/buyer-links";
import { OutboxEvent } from "../kernel/events";
import { findIn } from "../kernel/hot-reads";
import { MAX_BATCH } from "../kernel/prepared-reads";
import { toGlobalId } from "../kernel/global-id";
import { OrderExceptionRow, OrderLineRow, OrderRow } from "./entities";

const hot = { maxBatchSize: MAX_BATCH };

export function createLoaders(ds: DataSource) {
  // The storefront's reads: built once, prepared once (hot-reads.ts).
  const orderById = new DataLoader<number, OrderRow | null>(async (ids) => {
    const rows = await findIn(ds, OrderRow, { id: ids });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }, hot);

  const linesByOrder = new DataLoader<number, OrderLineRow[]>(async (ids) => {
    const rows = await findIn(ds, OrderLineRow, { orderId: ids }, [["orderId", "ASC"], ["lineNo", "ASC"]]);
    const byOrder = new Map<number, OrderLineRow[]>();
    rows.forEach((r) => byOrder.set(r.orderId, [...(byOrder.get(r.orderId) ?? []), r]));
    return ids.map((id) => byOrder.get(id) ?? []);
  }, hot);

  const lineById = new DataLoader<number, OrderLineRow | null>(async (ids) => {
    const rows = await ds.getRepository(OrderLineRow).findBy({ id: In([...ids]) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });

  /** History per order, from the outbox, in sequence order. */
  const eventsByOrder = new DataLoader<number, OutboxEvent[]>(async (ids) => {
    const gids = ids.map((id) => toGlobalId("Order", id));
    const rows = await ds.getRepository(OutboxEvent).find({ where: { aggregateId: In(gids) }, order: { aggregateId: "ASC", sequence: "ASC" } });
    return gids.map((g) => rows.filter((r) => r.aggregateId === g));
  });

  const exceptionsByOrder = new DataLoader<number, OrderExceptionRow[]>(async (ids) => {
    const rows = await ds.getRepository(OrderExceptionRow).find({ where: { orderId: In([...ids]) }, order: { id: "ASC" } });
    return ids.map((id) => rows.filter((r) => r.orderId === id));
  });

  const exceptionById = new DataLoader<number, OrderExceptionRow | null>(async (ids) => {
    const rows = await ds.getRepository(OrderExceptionRow).findBy({ id: In([...ids]) });
    return ids.map((id) => rows.find((r) => r.id === id) ?? null);
  });

  const buyerLink = buyerLinkLoader(ds);
  const buyerOwner = buyerOwnerLoader(ds, buyerLink);

  return { orderById, linesByOrder, lineById, eventsByOrder, exceptionsByOrder, exceptionById, buyerLink, buyerOwner };
}

export type OrderLoaders = ReturnType<typeof createLoaders>;

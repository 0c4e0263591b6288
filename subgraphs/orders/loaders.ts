import DataLoader from "dataloader";
import { In, type DataSource } from "typeorm";
import { buyerOwnerLoader } from "../kernel/buyer-links";
import { OrderLineRow, OrderRow } from "./entities";

export function createLoaders(ds: DataSource) {
  const orderById = new DataLoader<number, OrderRow | null>(async (ids) => {
    const rows = await ds.getRepository(OrderRow).findBy({ id: In([...ids]) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });

  const linesByOrder = new DataLoader<number, OrderLineRow[]>(async (ids) => {
    const rows = await ds.getRepository(OrderLineRow).find({ where: { orderId: In([...ids]) }, order: { orderId: "ASC", lineNo: "ASC" } });
    const byOrder = new Map<number, OrderLineRow[]>();
    rows.forEach((r) => byOrder.set(r.orderId, [...(byOrder.get(r.orderId) ?? []), r]));
    return ids.map((id) => byOrder.get(id) ?? []);
  });

  const lineById = new DataLoader<number, OrderLineRow | null>(async (ids) => {
    const rows = await ds.getRepository(OrderLineRow).findBy({ id: In([...ids]) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });

  return { orderById, linesByOrder, lineById, buyerOwner: buyerOwnerLoader(ds) };
}

export type OrderLoaders = ReturnType<typeof createLoaders>;

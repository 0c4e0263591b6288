import { Column, DataSource, DeleteDateColumn, Entity, In, PrimaryGeneratedColumn, type EntityTarget, type ObjectLiteral } from "typeorm";
import { BuyerLinkRow, CustomerAliasRow } from "../subgraphs/kernel/buyer-links";
import { findIn, type InLists, type Order } from "../subgraphs/kernel/hot-reads";
import { sqlPrepareCount } from "../subgraphs/kernel/prepared-reads";
import { ChannelIdentityRow, CustomerRow } from "../subgraphs/customers/entities";
import { OrderLineRow, OrderRow } from "../subgraphs/orders/entities";
import { ChannelSkuRow, ProductRow } from "../subgraphs/products/entities";
import { createProduct, customerOf, ingest, orderInput } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

/**
 * The storefront's reads with their SQL built once (findIn) give what TypeORM's find()
 * gives: the same entities, field by field and of the same classes, in the same order,
 * on SQLite and on MariaDB.
 */
let hub: TestHub;
const MERGE = "mutation($s: ID!, $a: [ID!]!) { mergeCustomers(survivorId: $s, absorbedIds: $a) { id } }";

beforeAll(async () => {
  hub = await startTestHub();
  await createProduct(hub, "HOT-1", [{ channel: "WEB", channelSkuId: "SKU-A" }]);
  await createProduct(hub, "HOT-2", [{ channel: "WEB", channelSkuId: "SKU-B" }]);
  const a = await ingest(hub, orderInput({ buyer: { channelCustomerId: "hot-a", name: "甲", phone: "13800138001" }, lines: [
    { channelSkuId: "SKU-A", title: "杯", quantity: 2, unitPrice: "99.90", discount: "10.00" },
    { channelSkuId: "SKU-B", title: "盖", quantity: 1, unitPrice: "5.00" },
  ] }));
  const b = await ingest(hub, orderInput({ buyer: { channelCustomerId: "hot-b", name: "乙", phone: "13900139002" }, shippingFee: "0.00" }));
  await ingest(hub, orderInput({ status: "PENDING_PAYMENT", buyer: { channelCustomerId: "hot-c", name: "丙", phone: null } }));
  // A merge, so an alias row exists.
  await hub.ok(MERGE, { s: await customerOf(hub, a.id), a: [await customerOf(hub, b.id)] });
  await hub.settle();
}, 120_000);
afterAll(() => hub?.stop());

async function same<T extends ObjectLiteral>(ds: DataSource, entity: EntityTarget<T>, where: InLists<T>, order: Order<T> = []) {
  const fast = await findIn(ds, entity, where, order);
  const slow = await ds.getRepository(entity).find({
    where: Object.fromEntries(Object.entries(where).map(([p, keys]) => [p, In([...(keys as unknown[])])])) as never,
    order: Object.fromEntries(order) as never,
  });
  if (order.length === 0) {
    const byKey = (x: T) => JSON.stringify(ds.getMetadata(entity).getEntityIdMap(x));
    fast.sort((x, y) => byKey(x).localeCompare(byKey(y)));
    slow.sort((x, y) => byKey(x).localeCompare(byKey(y)));
  }
  expect(fast.length).toBeGreaterThan(0);
  expect(fast).toStrictEqual(slow); // same classes, same fields, same values and types
  return fast;
}

test("orders, lines, customers, identities, products and aliases read as find() reads them", async () => {
  const orders = hub.subgraphs.orders.ds;
  const orderIds = (await orders.getRepository(OrderRow).find()).map((o) => o.id);
  expect(orderIds.length).toBe(3);
  await same(orders, OrderRow, { id: orderIds });
  const lines = await same(orders, OrderLineRow, { orderId: orderIds }, [["orderId", "ASC"], ["lineNo", "ASC"]]);
  expect(lines.length).toBe(4);
  const links = await orders.getRepository(BuyerLinkRow).find();
  await same(orders, BuyerLinkRow, { channel: links.map((l) => l.channel), channelCustomerId: links.map((l) => l.channelCustomerId) });

  const customers = hub.subgraphs.customers.ds;
  const customerIds = (await customers.getRepository(CustomerRow).find()).map((c) => c.id);
  const rows = await same(customers, CustomerRow, { id: customerIds });
  expect(rows.some((c) => c.mergedIntoId !== null)).toBe(true); // an absorbed one among them
  await same(customers, ChannelIdentityRow, { channel: ["WEB", "TAOBAO"], channelCustomerId: ["hot-a", "hot-b", "hot-c", "nobody"] });

  const products = hub.subgraphs.products.ds;
  await same(products, ProductRow, { id: (await products.getRepository(ProductRow).find()).map((p) => p.id) });
  await same(products, ChannelSkuRow, { channel: ["WEB"], channelSkuId: ["SKU-A", "SKU-B", "SKU-Z"] });

  const aliases = await orders.getRepository(CustomerAliasRow).find();
  expect(aliases.length).toBeGreaterThan(0);
  await same(orders, CustomerAliasRow, { aliasKey: aliases.map((a) => a.aliasKey) });
});

test("keys that match nothing give nothing, and an empty list asks nothing", async () => {
  const ds = hub.subgraphs.orders.ds;
  expect(await findIn(ds, OrderRow, { id: [987654321] })).toEqual([]);
  const before = sqlPrepareCount();
  expect(await findIn(ds, OrderRow, { id: [] })).toEqual([]);
  expect(sqlPrepareCount()).toBe(before);
});

test("repeated keys count once, and any order of keys gives the same rows", async () => {
  const ds = hub.subgraphs.orders.ds;
  const ids = (await ds.getRepository(OrderRow).find()).map((o) => o.id).sort((x, y) => x - y);
  const read = async (keys: number[]) => (await findIn(ds, OrderRow, { id: keys })).map((o) => o.id).sort((x, y) => x - y);
  expect(await read([ids[0], ids[0], ids[1]])).toEqual([ids[0], ids[1]]);
  expect(await read([ids[2], ids[1], ids[0]])).toEqual(ids);
});

test("lines come back in their order, whatever order they were stored in", async () => {
  const ds = hub.subgraphs.orders.ds;
  const [order] = await ds.getRepository(OrderRow).find({ order: { id: "ASC" }, take: 1 });
  // Stored last number first, so the table's own order is the reverse of the lines' order.
  for (const lineNo of [9, 8, 7]) {
    await ds.getRepository(OrderLineRow).insert({ orderId: order.id, lineNo, channelSkuId: `LATE-${lineNo}`, title: "t", quantity: 1, unitPriceMinor: 100, discountMinor: 0 });
  }
  try {
    const lines = await same(ds, OrderLineRow, { orderId: [order.id] }, [["orderId", "ASC"], ["lineNo", "ASC"]]);
    expect(lines.map((l) => l.lineNo).slice(-3)).toEqual([7, 8, 9]);
  } finally {
    await ds.getRepository(OrderLineRow).delete({ orderId: order.id, lineNo: In([7, 8, 9]) });
  }
});

@Entity("soft_rows")
class SoftRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "varchar", length: 10 })
  name!: string;

  @DeleteDateColumn({ type: "datetime", nullable: true })
  deletedAt!: Date | null;
}

test("an entity whose rows find() filters (soft delete) is refused, not read half; more values than a batch are refused", async () => {
  const ds = new DataSource({ type: "better-sqlite3", database: ":memory:", entities: [SoftRow], synchronize: true });
  await ds.initialize();
  try {
    await ds.getRepository(SoftRow).insert({ name: "gone" });
    await ds.getRepository(SoftRow).softDelete({ name: "gone" });
    expect(await ds.getRepository(SoftRow).find()).toEqual([]);
    await expect(findIn(ds, SoftRow, { id: [1] })).rejects.toThrow(/does not read SoftRow/);
  } finally {
    await ds.destroy();
  }
  const many = Array.from({ length: 129 }, (_, i) => i + 1);
  await expect(findIn(hub.subgraphs.orders.ds, OrderRow, { id: many })).rejects.toThrow(/at most 128/);
});

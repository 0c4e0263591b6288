import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { DataSource } from "typeorm";
import { SUBGRAPHS } from "../gateway/subgraph-list";
import { SUBGRAPH_NAMES } from "../subgraphs/kernel/config";
import { ingest, orderInput } from "./support/fixtures";
import { startTestHub } from "./support/hub";
import { copyPreviousReleaseData, everythingVisible, expectedFromPreviousRelease } from "./support/previous-release";
import { migratedSchema, schemaDump } from "./support/sqlite-schema";

// Embedded data only: a MariaDB database never had its schema from the entities.
const onSqlite = process.env.MYSQL_URL ? describe.skip : describe;

interface OrderSeen {
  id: string;
  number: string;
  channel: string;
  buyerChannelCustomerId: string;
  customer: { id: string } | null;
  lines: Array<{ channelSkuId: string; product: { sku: string } | null }>;
}

/** Changes a file behind the hub's back, as another program (or another release) would. */
async function runOn(file: string, statements: string[]) {
  const ds = await new DataSource({ type: "better-sqlite3", database: file }).initialize();
  try {
    for (const sql of statements) await ds.query(sql);
  } finally {
    await ds.destroy();
  }
}

onSqlite("a data folder made by the release that created SQLite files from the entities", () => {
  test("upgrades in place: every migration is recorded, the schema is a new file's, and the gateway shows all it showed", async () => {
    const hub = await startTestHub({}, { dataDir: copyPreviousReleaseData() });
    try {
      for (const name of SUBGRAPH_NAMES) {
        const ds = hub.subgraphs[name].ds;
        const recorded: Array<{ name: string }> = await ds.query("SELECT name FROM migrations ORDER BY id");
        expect({ name, recorded: recorded.map((r) => r.name).sort() }).toEqual({ name, recorded: SUBGRAPHS[name].migrations.map((m) => m.name).sort() });
        expect({ name, schema: await schemaDump(ds) }).toEqual({ name, schema: await migratedSchema(name, schemaDump) });
      }
      const expected = expectedFromPreviousRelease();
      expect(expected.orders).toHaveLength(220); // the fixture itself: the demo data
      expect(await everythingVisible(hub)).toEqual(expected);
    } finally {
      await hub.stop();
    }
  }, 120_000);

  test("takes new writes on top of the old rows, and the next start shows them all", async () => {
    const dataDir = copyPreviousReleaseData();
    const expected = expectedFromPreviousRelease();
    const old = expected.orders[0] as OrderSeen;
    const oldCustomer = expected.customers[0] as { id: string; displayName: string; phone: string };
    let hub = await startTestHub({}, { dataDir, keepDataDir: true });
    try {
      // An order from a buyer and a SKU the old folder knows joins their customer and product.
      const { id } = await ingest(hub, orderInput({
        channel: old.channel,
        channelOrderId: "after-upgrade-1",
        buyer: { channelCustomerId: old.buyerChannelCustomerId },
        lines: [{ channelSkuId: old.lines[0].channelSkuId, title: "after the upgrade", quantity: 2, unitPrice: "12.50" }],
      }));
      await hub.settle();
      const { order } = await hub.ok("query($id: ID!) { order(id: $id) { number customer { id } lines { id product { sku } } } }", { id });
      expect(order.customer).toEqual(old.customer);
      expect(order.lines[0].product).toEqual(old.lines[0].product);
      expect((expected.orders as OrderSeen[]).map((o) => o.number)).not.toContain(order.number);
      expect((expected.orders as OrderSeen[]).map((o) => o.id)).not.toContain(id);

      // A new account with an old customer's phone and name is found through the old identities.
      const joined = await hub.ok("mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id } }", {
        i: { channel: "WEB", channelCustomerId: "web-after-upgrade", name: oldCustomer.displayName, phone: oldCustomer.phone },
      });
      expect(joined.registerChannelIdentity.id).toBe(oldCustomer.id);

      const refund = await hub.ok("mutation($i: RequestAfterSalesInput!) { requestAfterSales(input: $i) { status requestedAmount { amount } } }", {
        i: { orderId: id, type: "REFUND_ONLY", reason: "after the upgrade", lines: [{ orderLineId: order.lines[0].id, quantity: 1 }] },
      });
      expect(refund.requestAfterSales).toEqual({ status: "REQUESTED", requestedAmount: { amount: "12.50" } });
      await hub.ok("mutation { upsertProduct(input: { sku: \"AFTER-UPGRADE-1\", title: \"Added after the upgrade\" }) { id } }");
      await hub.settle();
    } finally {
      await hub.stop();
    }

    hub = await startTestHub({}, { dataDir });
    try {
      const seen = await everythingVisible(hub);
      expect(seen.orders).toHaveLength(expected.orders.length + 1);
      expect(seen.customers).toHaveLength(expected.customers.length);
      expect(seen.products).toHaveLength(expected.products.length + 1);
      expect(seen.afterSalesCases).toHaveLength(expected.afterSalesCases.length + 1);
      // All the rest is as it was; the two customers written to have changed on purpose.
      const touched = new Set([oldCustomer.id, old.customer!.id]);
      for (const field of ["orders", "customers", "products", "afterSalesCases"] as const) {
        expect(seen[field]).toEqual(expect.arrayContaining(expected[field].filter((x) => !touched.has((x as { id: string }).id))));
      }
      const recorded = await hub.subgraphs.customers.ds.query("SELECT COUNT(*) AS n FROM migrations");
      expect(Number(recorded[0].n)).toBe(SUBGRAPHS.customers.migrations.length);
    } finally {
      await hub.stop();
    }
  }, 120_000);

  test("knows the status of every order it had: a cancelled old order is refused after-sales, a paid one is accepted", async () => {
    const hub = await startTestHub({}, { dataDir: copyPreviousReleaseData() });
    try {
      await hub.settle();
      const withCases: Array<{ orderKey: number }> = await hub.subgraphs.aftersales.ds.query("SELECT DISTINCT orderKey FROM after_sales_cases");
      const taken = new Set(withCases.map((c) => Number(c.orderKey)));
      const pick = async (status: string) => {
        const rows: Array<{ id: number }> = await hub.subgraphs.orders.ds.query("SELECT id FROM orders WHERE status = ? ORDER BY id", [status]);
        const key = rows.map((r) => Number(r.id)).find((k) => !taken.has(k));
        expect(key).toBeDefined();
        const id = `gid://orderhub/Order/${key}`;
        const { order } = await hub.ok("query($id: ID!) { order(id: $id) { lines { id } } }", { id });
        return { orderId: id, type: "REFUND_ONLY", reason: "after the upgrade", lines: [{ orderLineId: order.lines[0].id, quantity: 1 }] };
      };
      const request = "mutation($i: RequestAfterSalesInput!) { requestAfterSales(input: $i) { status } }";
      const cancelled = await hub.query(request, { i: await pick("CANCELLED") }, hub.admin);
      expect(cancelled.errors?.[0]).toMatchObject({ extensions: { code: "CONFLICT" } });
      expect(cancelled.errors?.[0].message).toMatch(/is CANCELLED/);
      const paid = await hub.ok(request, { i: await pick("FULFILLING") });
      expect(paid.requestAfterSales).toEqual({ status: "REQUESTED" });
    } finally {
      await hub.stop();
    }
  }, 120_000);

  test("from an older release, one whose schema is not the last synchronizing release's, is refused and left as it was", async () => {
    const dataDir = copyPreviousReleaseData();
    const file = path.join(dataDir, "customers.sqlite");
    // Before the address key existed: what a folder looks like that skipped the last synchronizing release.
    await runOn(file, ['DROP INDEX "ix_identity_address_key"', 'ALTER TABLE "channel_identities" DROP COLUMN "addressKey"']);
    const before = createHash("sha256").update(readFileSync(file)).digest("hex");
    const started = startTestHub({}, { dataDir, keepDataDir: true });
    try {
      await expect(started).rejects.toThrow(/customers\.sqlite .*its tables channel_identities differ/);
      expect(createHash("sha256").update(readFileSync(file)).digest("hex")).toBe(before);
    } finally {
      await started.then((hub) => hub.stop(), () => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

onSqlite("a start on SQLite", () => {
  // synchronize dropped any column the entities did not have, with its values.
  test("changes the schema only through migrations: a column the entities lack keeps its values", async () => {
    let hub = await startTestHub({}, { keepDataDir: true });
    const { dataDir } = hub;
    const { id } = await ingest(hub, orderInput());
    await hub.stop();
    await runOn(path.join(dataDir, "orders.sqlite"), ["ALTER TABLE orders ADD COLUMN legacyNote varchar(100)", "UPDATE orders SET legacyNote = 'kept'"]);

    hub = await startTestHub({}, { dataDir });
    try {
      expect(await hub.subgraphs.orders.ds.query("SELECT legacyNote FROM orders")).toEqual([{ legacyNote: "kept" }]);
      expect((await hub.ok("query($id: ID!) { order(id: $id) { id } }", { id })).order).toEqual({ id });
    } finally {
      await hub.stop();
    }
  }, 120_000);
});

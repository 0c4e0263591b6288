import type { EntityManager } from "typeorm";
import { CustomerRow, CustomerTier } from "../subgraphs/customers/entities";
import { insertUnlessPresent, inTransaction } from "../subgraphs/kernel/database";
import { updateVersioned } from "../subgraphs/kernel/row-version";
import { startTestHub, type TestHub } from "./support/hub";

// Deadlocks happen on MySQL/MariaDB only: SQLite runs one transaction at a time here.
const onMysql = process.env.MYSQL_URL ? test : test.skip;

let hub: TestHub | undefined;
afterAll(() => hub?.stop());

onMysql("a transaction picked as a deadlock victim runs again: two that lock the same rows in opposite orders both commit", async () => {
  hub = await startTestHub({ DB_POOL_SIZE: "10" }); // some tests hold 6 connections at once
  const ds = hub.subgraphs.customers.ds;
  const [a, b] = await Promise.all(["甲", "乙"].map((displayName) => ds.getRepository(CustomerRow).save({ displayName, phone: null, tier: CustomerTier.STANDARD, mergedIntoId: null })));

  // Both take their first lock before either asks for its second: a deadlock, every time.
  let firstLocks = 0;
  let bothLocked!: () => void;
  const gate = new Promise<void>((resolve) => (bothLocked = resolve));
  let attempts = 0;
  const lockInOrder = (first: number, second: number) =>
    inTransaction(ds, async (em) => {
      attempts++;
      await em.query("SELECT id FROM customers WHERE id = ? FOR UPDATE", [first]);
      if (++firstLocks === 2) bothLocked();
      await gate;
      await em.query("SELECT id FROM customers WHERE id = ? FOR UPDATE", [second]);
      await em.query("UPDATE customers SET displayName = CONCAT(displayName, '+') WHERE id = ?", [first]);
    });

  const results = await Promise.allSettled([lockInOrder(a.id, b.id), lockInOrder(b.id, a.id)]);
  expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
  expect(attempts).toBe(3); // the victim ran twice
  const names = (await ds.getRepository(CustomerRow).findBy([{ id: a.id }, { id: b.id }])).map((c) => c.displayName).sort();
  expect(names).toEqual(["乙+", "甲+"]);
}, 60_000);

onMysql("any other error is final: the work runs once and the error reaches the caller", async () => {
  hub ??= await startTestHub({ DB_POOL_SIZE: "10" });
  const ds = hub.subgraphs.customers.ds;
  let attempts = 0;
  await expect(
    inTransaction(ds, async () => {
      attempts++;
      throw new Error("not a deadlock");
    }),
  ).rejects.toThrow("not a deadlock");
  await new Promise((resolve) => setTimeout(resolve, 300)); // longer than any retry pause
  expect(attempts).toBe(1);
}, 60_000);

onMysql("every pooled connection runs READ COMMITTED: a transaction sees what another committed after its first read", async () => {
  hub ??= await startTestHub({ DB_POOL_SIZE: "10" });
  const ds = hub.subgraphs.customers.ds;
  const { id } = await ds.getRepository(CustomerRow).save({ displayName: "丁", phone: null, tier: CustomerTier.STANDARD, mergedIntoId: null });
  // Five transactions open at once hold five connections of the pool, fresh ones among them.
  const lanes = 5;
  let firstReads = 0;
  let allRead!: () => void;
  const read = new Promise<void>((resolve) => (allRead = resolve));
  let changed!: () => void;
  const committed = new Promise<void>((resolve) => (changed = resolve));
  const name = async (em: EntityManager) => ((await em.query("SELECT displayName FROM customers WHERE id = ?", [id])) as Array<{ displayName: string }>)[0].displayName;
  const seen = Promise.all(
    Array.from({ length: lanes }, () =>
      inTransaction(ds, async (em) => {
        const before = await name(em);
        if (++firstReads === lanes) allRead();
        await committed;
        return [before, await name(em)];
      }),
    ),
  );
  await read;
  await ds.query("UPDATE customers SET displayName = ? WHERE id = ?", ["丁 (later)", id]);
  changed();
  // REPEATABLE READ would show "丁" twice: the snapshot of the first read.
  expect(await seen).toEqual(Array.from({ length: lanes }, () => ["丁", "丁 (later)"]));
}, 60_000);

test("a write based on a stale read of a versioned row is refused with CONFLICT and changes nothing", async () => {
  hub ??= await startTestHub({ DB_POOL_SIZE: "10" });
  const customers = hub.subgraphs.customers.ds.getRepository(CustomerRow);
  const { id } = await customers.save({ displayName: "丙", phone: null, tier: CustomerTier.STANDARD, mergedIntoId: null });
  const read = await customers.findOneByOrFail({ id });
  const later = await customers.findOneByOrFail({ id });
  await inTransaction(hub.subgraphs.customers.ds, (em) => updateVersioned(em, CustomerRow, later, { displayName: "丙 (newer)" }, "Customer 1"));
  await expect(inTransaction(hub.subgraphs.customers.ds, (em) => updateVersioned(em, CustomerRow, read, { displayName: "丙 (older)" }, "Customer 1"))).rejects.toMatchObject({
    extensions: { code: "CONFLICT" },
    message: expect.stringMatching(/Customer 1 was changed by another request/),
  });
  expect(await customers.findOneByOrFail({ id })).toMatchObject({ displayName: "丙 (newer)", version: read.version + 1 });
}, 60_000);

onMysql("every pooled connection runs in UTC, not only the first: a row's createdAt default is the instant it was written", async () => {
  hub ??= await startTestHub({ DB_POOL_SIZE: "10" });
  const ds = hub.subgraphs.customers.ds;
  // Held side by side, these take several connections of the pool at once.
  const zones = await Promise.all(Array.from({ length: 6 }, () => ds.query("SELECT @@session.time_zone AS tz, SLEEP(0.05) AS s")));
  expect(zones.map((rows) => rows[0].tz)).toEqual(Array(6).fill("+00:00"));
  const written = await Promise.all(Array.from({ length: 6 }, (_, i) => ds.getRepository(CustomerRow).save({ displayName: `utc${i}`, phone: null, tier: CustomerTier.STANDARD, mergedIntoId: null })));
  const rows = await ds.getRepository(CustomerRow).findBy(written.map((c) => ({ id: c.id })));
  for (const r of rows) expect(Math.abs(r.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
}, 60_000);

test("an insert on a key already there is told apart from a bad row: the first returns false, the second still fails", async () => {
  hub ??= await startTestHub({ DB_POOL_SIZE: "10" });
  const ds = hub.subgraphs.customers.ds;
  const row = await ds.getRepository(CustomerRow).save({ displayName: "键", phone: null, tier: CustomerTier.STANDARD, mergedIntoId: null });
  await expect(inTransaction(ds, (em) => insertUnlessPresent(em, CustomerRow, { id: row.id, displayName: "again", phone: null, tier: CustomerTier.STANDARD, mergedIntoId: null }))).resolves.toBe(false);
  // displayName is NOT NULL: a fault, not "already there".
  await expect(inTransaction(ds, (em) => insertUnlessPresent(em, CustomerRow, { displayName: null as unknown as string, phone: null, tier: CustomerTier.STANDARD, mergedIntoId: null }))).rejects.toThrow();
});

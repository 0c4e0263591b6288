import { CustomerRow, CustomerTier } from "../subgraphs/customers/entities";
import { inTransaction } from "../subgraphs/kernel/database";
import { startTestHub, type TestHub } from "./support/hub";

// Deadlocks happen on MySQL/MariaDB only: SQLite runs one transaction at a time here.
const onMysql = process.env.MYSQL_URL ? test : test.skip;

let hub: TestHub | undefined;
afterAll(() => hub?.stop());

onMysql("a transaction picked as a deadlock victim runs again: two that lock the same rows in opposite orders both commit", async () => {
  hub = await startTestHub();
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
  hub ??= await startTestHub();
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

import { MAX_PREPARED, padIds, PREPARED, sqlPreparedTextCount, sqlPrepareCount, sqlStatementEvictions } from "../subgraphs/kernel/prepared-reads";
import { CustomerRow, CustomerTier } from "../subgraphs/customers/entities";
import { startTestHub, type TestHub } from "./support/hub";

const onMysql = process.env.MYSQL_URL ? test : test.skip;

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
  const repo = hub.subgraphs.customers.ds.getRepository(CustomerRow);
  for (let i = 0; i < 5; i++) await repo.save({ displayName: `p${i}`, phone: null, tier: CustomerTier.STANDARD, mergedIntoId: null });
}, 60_000);
afterAll(() => hub?.stop());

const ds = () => hub.subgraphs.customers.ds;

// MySQL prepares per connection: each test keeps to one.
const oneConnection = async () => {
  const qr = ds().createQueryRunner();
  await qr.connect();
  return qr;
};

test("a marked read is prepared once: other ids and other page sizes reuse it", async () => {
  const qr = await oneConnection();
  const read = (ids: number[], take: number) =>
    ds().getRepository(CustomerRow).createQueryBuilder("c", qr).where("c.id IN (:...ids)", { ids: padIds(ids) }).orderBy("c.id").limit(take).comment(PREPARED).getMany();
  await read([1, 2, 3], 2);
  const before = sqlPrepareCount();
  expect((await read([2, 3, 4], 2)).map((c) => c.displayName)).toEqual(["p1", "p2"]);
  expect((await read([5, 1, 4, 2], 2)).map((c) => c.displayName)).toEqual(["p0", "p1"]);
  if (process.env.MYSQL_URL) {
    // On MySQL the page size is bound too.
    expect((await read([1, 2, 3, 4], 3)).map((c) => c.displayName)).toEqual(["p0", "p1", "p2"]);
  }
  // A single number, which TypeORM's SQLite driver wrote into the text: bound here.
  const one = (id: number) => ds().getRepository(CustomerRow).createQueryBuilder("c", qr).where("c.id = :id", { id }).comment(PREPARED).getOne();
  await one(1);
  expect((await one(2))?.displayName).toBe("p1");
  expect((await one(3))?.displayName).toBe("p2");
  expect(sqlPrepareCount()).toBe(before + 1);
  await qr.release();
});

test("padIds repeats the last id up to a power of two and keeps the order", () => {
  expect(padIds([])).toEqual([]);
  expect(padIds([7])).toEqual([7]);
  expect(padIds([3, 1, 2])).toEqual([3, 1, 2, 2]);
  expect(padIds([1, 2, 3, 4, 5])).toEqual([1, 2, 3, 4, 5, 5, 5, 5]);
});

const serverCount = async (qr: Awaited<ReturnType<typeof oneConnection>>, name: "Com_stmt_prepare") => Number((await qr.query(`SHOW SESSION STATUS LIKE '${name}'`))[0].Value);

onMysql(`past ${MAX_PREPARED} texts on one connection the oldest is closed, and running it again prepares it afresh`, async () => {
  const qr = await oneConnection();
  const tag = `evict-${Date.now()}`;
  const run = (i: number) => qr.query(`/* ${PREPARED} */ SELECT ? + ${i} AS n, '${tag}' AS k`, [1]);
  const evictedBefore = sqlStatementEvictions();
  for (let i = 0; i <= MAX_PREPARED + 5; i++) expect(Number((await run(i))[0].n)).toBe(1 + i);
  expect(sqlStatementEvictions() - evictedBefore).toBeGreaterThanOrEqual(6);
  const before = sqlPrepareCount();
  const evicted = sqlStatementEvictions();
  const serverBefore = await serverCount(qr, "Com_stmt_prepare");
  expect(Number((await run(0))[0].n)).toBe(1); // pushed out: prepared again, not a closed handle
  expect(sqlPrepareCount()).toBe(before + 1);
  expect(await serverCount(qr, "Com_stmt_prepare")).toBe(serverBefore + 1); // as the server counts it
  expect(sqlStatementEvictions()).toBe(evicted + 1); // and it pushed out the oldest in turn
  expect(Number((await run(MAX_PREPARED + 5))[0].n)).toBe(MAX_PREPARED + 6); // still kept
  expect(sqlPrepareCount()).toBe(before + 1);
  expect(sqlStatementEvictions()).toBe(evicted + 1);
  expect(await serverCount(qr, "Com_stmt_prepare")).toBe(serverBefore + 1);
  // The server holds at most MAX_PREPARED of this connection's statements.
  const [row] = await qr.query("SHOW SESSION STATUS LIKE 'Com_stmt_close'");
  expect(Number(row.Value)).toBeGreaterThanOrEqual(6);
  await qr.release();
});

onMysql("a marked read the server refuses is not counted as prepared, and the connection goes on", async () => {
  const qr = await oneConnection();
  try {
    const before = sqlPrepareCount();
    const texts = sqlPreparedTextCount();
    await expect(qr.query(`/* ${PREPARED} */ SELECT n FROM no_such_table_${Date.now()} WHERE n = ?`, [1])).rejects.toThrow(/doesn't exist/);
    expect(sqlPrepareCount()).toBe(before);
    expect(sqlPreparedTextCount()).toBe(texts);
    // Two reads of one new text at once on one connection: the server prepares it once, and so it is counted.
    const twice = `twice-${Date.now()}`;
    const serverBefore = await serverCount(qr, "Com_stmt_prepare");
    const both = await Promise.all([qr.query(`/* ${PREPARED} */ SELECT ? AS k, '${twice}' AS t`, [1]), qr.query(`/* ${PREPARED} */ SELECT ? AS k, '${twice}' AS t`, [2])]);
    expect(both.map((r) => Number(r[0].k))).toEqual([1, 2]);
    expect(sqlPrepareCount()).toBe(before + 1);
    expect(await serverCount(qr, "Com_stmt_prepare")).toBe(serverBefore + 1);
    const tag = `after-error-${Date.now()}`;
    expect((await qr.query(`/* ${PREPARED} */ SELECT ? AS k`, [tag]))[0].k).toBe(tag);
    expect(sqlPrepareCount()).toBe(before + 2);
    expect(sqlPreparedTextCount()).toBe(texts + 2);
  } finally {
    await qr.release();
  }
});

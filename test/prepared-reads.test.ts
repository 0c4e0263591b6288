import { MAX_PREPARED, padIds, PREPARED, preparesInFlight, sqlPrepareCount } from "../subgraphs/kernel/prepared-reads";
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

onMysql(`past ${MAX_PREPARED} texts on one connection the oldest is closed, and running it again prepares it afresh`, async () => {
  const qr = await oneConnection();
  const run = (i: number) => qr.query(`/* ${PREPARED} */ SELECT ? + ${i} AS n`, [1]);
  for (let i = 0; i <= MAX_PREPARED + 5; i++) expect(Number((await run(i))[0].n)).toBe(1 + i);
  const before = sqlPrepareCount();
  expect(Number((await run(0))[0].n)).toBe(1); // pushed out: prepared again, not a closed handle
  expect(sqlPrepareCount()).toBe(before + 1);
  expect(Number((await run(MAX_PREPARED + 5))[0].n)).toBe(MAX_PREPARED + 6); // still kept
  expect(sqlPrepareCount()).toBe(before + 1);
  // The server holds at most MAX_PREPARED of this connection's statements.
  const [row] = await qr.query("SHOW SESSION STATUS LIKE 'Com_stmt_close'");
  expect(Number(row.Value)).toBeGreaterThanOrEqual(6);
  await qr.release();
});

type Runner = Awaited<ReturnType<typeof oneConnection>>;
const connectionId = async (qr: Runner) => Number((await qr.query("SELECT CONNECTION_ID() AS id"))[0].id);
const serverCount = async (qr: Runner, name: "Com_stmt_prepare" | "Com_stmt_close") => Number((await qr.query(`SHOW SESSION STATUS LIKE '${name}'`))[0].Value);
const settled = async () => {
  for (let i = 0; preparesInFlight() > 0; i++) {
    expect(i).toBeLessThan(200);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
/**
 * `qr` back in the pool (idle), then the same connection again: the pool hands out the one
 * released last, unless the hub's own background work took it meanwhile, so try again.
 */
const releaseAndRetake = async (qr: Runner) => {
  const id = await connectionId(qr);
  await qr.release();
  for (let attempt = 0; ; attempt++) {
    expect(attempt).toBeLessThan(100);
    await settled();
    const again = await oneConnection();
    if ((await connectionId(again)) === id) return again;
    await again.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

onMysql("a read first prepared on one pooled connection is prepared on the others while they are idle, not in front of their next read", async () => {
  const first = await oneConnection();
  let second = await oneConnection(); // held together: two different connections
  try {
    const tag = `hot${Date.now()}`;
    const hotRead = (qr: Runner) => qr.query(`/* ${PREPARED} */ SELECT ? * 2 AS n, '${tag}' AS k`, [21]);
    expect(Number((await hotRead(first))[0].n)).toBe(42);
    second = await releaseAndRetake(second); // back in the pool, idle: it prepares the pool's hot reads
    const serverBefore = await serverCount(second, "Com_stmt_prepare");
    const before = sqlPrepareCount();
    expect(Number((await hotRead(second))[0].n)).toBe(42);
    expect(sqlPrepareCount()).toBe(before);
    expect(await serverCount(second, "Com_stmt_prepare")).toBe(serverBefore); // the server was not asked again
  } finally {
    await first.release();
    await second.release();
  }
});

onMysql("catching up never pushes out a statement the connection uses: a full connection takes no hot reads of others", async () => {
  const other = await oneConnection();
  let full = await oneConnection();
  try {
    const tag = `full${Date.now()}`;
    const own = (i: number) => full.query(`/* ${PREPARED} */ SELECT ? + ${i} AS n, '${tag}' AS k`, [1]);
    for (let i = 0; i < MAX_PREPARED; i++) await own(i); // every slot of `full` taken by its own reads
    await other.query(`/* ${PREPARED} */ SELECT ? AS n, '${tag}-other' AS k`, [1]);
    full = await releaseAndRetake(full);
    const prepared = await serverCount(full, "Com_stmt_prepare");
    const closed = await serverCount(full, "Com_stmt_close");
    const before = sqlPrepareCount();
    for (let i = 0; i < MAX_PREPARED; i++) expect(Number((await own(i))[0].n)).toBe(1 + i); // all still prepared
    expect(sqlPrepareCount()).toBe(before);
    expect(await serverCount(full, "Com_stmt_prepare")).toBe(prepared);
    expect(await serverCount(full, "Com_stmt_close")).toBe(closed);
  } finally {
    await other.release();
    await full.release();
  }
});

import { rmSync } from "node:fs";
import path from "node:path";
import { pendingSchemaChanges } from "../gateway/migrations";
import { SUBGRAPHS } from "../gateway/subgraph-list";
import { addressKeyOf, cleanAddress, cleanName } from "../subgraphs/customers/cleansing";
import { BackfillAddressKey1795389723899 } from "../subgraphs/customers/migrations/1795389723899-BackfillAddressKey";
import { RekeyNamesWithDigits1795389723900 } from "../subgraphs/customers/migrations/1795389723900-RekeyNamesWithDigits";
import { SUBGRAPH_NAMES } from "../subgraphs/kernel/config";
import { schemaShape, SYNCHRONIZED_BASELINE } from "../subgraphs/kernel/sqlite-upgrade";
import { startTestHub, type TestHub } from "./support/hub";
import { copyPreviousReleaseData } from "./support/previous-release";
import { fileSchema, migratedSchema, schemaDump, synchronizedSchema } from "./support/sqlite-schema";

// The schema comes from the checked-in migrations on both databases; they must cover every entity.
const onSqlite = process.env.MYSQL_URL ? test.skip : test;

let hub: TestHub | undefined;
afterAll(() => hub?.stop());

test("the checked-in migrations leave no schema drift (run `npm run migration:generate -- <Name>` after entity changes)", async () => {
  hub = await startTestHub();
  for (const [name, sg] of Object.entries(hub.subgraphs)) {
    expect({ name, pending: await pendingSchemaChanges(sg.ds) }).toEqual({ name, pending: [] });
  }
}, 60_000);

// SQLite files made before the migrations got their schema from synchronize; the baseline
// migrations must make the very same one, statement for statement, or an adopted file and a
// new one part ways. The fixture is such a file (the last synchronizing release made it).
onSqlite("on SQLite the baseline migrations make exactly the schema the last synchronizing release made", async () => {
  const dataDir = copyPreviousReleaseData();
  try {
    for (const name of SUBGRAPH_NAMES) {
      const baseline = SUBGRAPHS[name].migrations.filter((m) => SYNCHRONIZED_BASELINE.has(m.name));
      const made = await fileSchema(path.join(dataDir, `${name}.sqlite`), schemaDump);
      expect({ name, schema: await migratedSchema(name, schemaDump, baseline) }).toEqual({ name, schema: made });
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);

// Later migrations rebuild tables with new columns last, so only the column order may differ.
onSqlite("on SQLite the migrations make the schema synchronize makes of the current entities, but for column order", async () => {
  for (const name of SUBGRAPH_NAMES) {
    expect({ name, schema: await migratedSchema(name, schemaShape) }).toEqual({ name, schema: await synchronizedSchema(name, schemaShape) });
  }
}, 60_000);

test("identities stored before the address key get it from the backfill", async () => {
  hub ??= await startTestHub();
  const ds = hub.subgraphs.customers.ds;
  await hub.ok("mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id } }", {
    i: { channel: "JD", channelCustomerId: "jd-before-address-key", name: "钱学森", address: { text: "北京市海淀区中关村大街1号3栋2单元801室" } },
  });
  await ds.query("UPDATE channel_identities SET addressKey = NULL");
  const runner = ds.createQueryRunner();
  try {
    await new BackfillAddressKey1795389723899().up(runner);
  } finally {
    await runner.release();
  }
  const [row] = await ds.query("SELECT addressKey FROM channel_identities WHERE channelCustomerId = 'jd-before-address-key'");
  expect(row.addressKey).toBe(addressKeyOf(cleanAddress("北京市海淀区中关村大街1号3栋2单元801室")));
  expect(row.addressKey).not.toBeNull();
}, 60_000);

test("identities stored before name keys kept digits get the new key; other names keep theirs", async () => {
  hub ??= await startTestHub();
  const ds = hub.subgraphs.customers.ds;
  const REGISTER = "mutation($i: RegisterIdentityInput!) { registerChannelIdentity(input: $i) { id } }";
  await hub.ok(REGISTER, { i: { channel: "DOUYIN", channelCustomerId: "dy-handle-12", name: "顾客12" } });
  await hub.ok(REGISTER, { i: { channel: "DOUYIN", channelCustomerId: "dy-name-zhang", name: "张三" } });
  await ds.query("UPDATE channel_identities SET nameKey = 'guke' WHERE channelCustomerId = 'dy-handle-12'"); // as stored before
  const runner = ds.createQueryRunner();
  try {
    await new RekeyNamesWithDigits1795389723900().up(runner);
  } finally {
    await runner.release();
  }
  const keys = await ds.query("SELECT channelCustomerId, nameKey FROM channel_identities WHERE channelCustomerId IN ('dy-handle-12', 'dy-name-zhang') ORDER BY channelCustomerId");
  expect(keys).toEqual([
    { channelCustomerId: "dy-handle-12", nameKey: cleanName("顾客12")!.key },
    { channelCustomerId: "dy-name-zhang", nameKey: "zhangsan" },
  ]);
  expect(cleanName("顾客12")!.key).toBe("guke12");
}, 60_000);

// Two instances of a service starting together on a fresh MariaDB database: one runs the
// migrations, the other waits for the lock and finds them done (without it, both ran the
// same CREATE/ALTER statements and one failed).
const onMysql = process.env.MYSQL_URL ? test : test.skip;
onMysql("two hubs starting at once on the same new databases both come up, and every migration runs once", async () => {
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { startHub } = await import("../gateway/hub");
  const { dropDatabases } = await import("../subgraphs/kernel/database");
  const prefix = `oht_mig_${process.pid}`;
  const dirs = [0, 1].map(() => mkdtempSync(path.join(tmpdir(), "orderhub-mig-")));
  const started = await Promise.allSettled(
    dirs.map((dir) => startHub({ env: { DATA_DIR: dir, DB_NAME_PREFIX: prefix, NODE_ENV: "test" }, ephemeralPorts: true })),
  );
  try {
    expect(started.map((s) => s.status)).toEqual(["fulfilled", "fulfilled"]);
    const first = (started[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof startHub>>>).value;
    for (const [name, sg] of Object.entries(first.subgraphs)) {
      const rows: Array<{ name: string }> = await sg.ds.query("SELECT name FROM migrations");
      expect({ name, runs: rows.length }).toEqual({ name, runs: new Set(rows.map((r) => r.name)).size });
      expect({ name, runs: rows.length }).toEqual({ name, runs: SUBGRAPHS[name as keyof typeof SUBGRAPHS].migrations.length });
    }
  } finally {
    for (const s of started) if (s.status === "fulfilled") await s.value.stop();
    await dropDatabases(process.env.MYSQL_URL!, prefix, SUBGRAPH_NAMES);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

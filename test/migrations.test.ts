import { pendingSchemaChanges } from "../gateway/migrations";
import { addressKeyOf, cleanAddress, cleanName } from "../subgraphs/customers/cleansing";
import { BackfillAddressKey1795389723899 } from "../subgraphs/customers/migrations/1795389723899-BackfillAddressKey";
import { RekeyNamesWithDigits1795389723900 } from "../subgraphs/customers/migrations/1795389723900-RekeyNamesWithDigits";
import { SUBGRAPH_NAMES } from "../subgraphs/kernel/config";
import { startTestHub, type TestHub } from "./support/hub";
import { migratedSchema, schemaDump, synchronizedSchema } from "./support/sqlite-schema";

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

// SQLite files made before the migrations got their schema from synchronize; the migrations
// must make the very same one, statement for statement, or an old file and a new one part ways.
onSqlite("on SQLite the migrations make exactly the schema synchronize makes of the same entities", async () => {
  hub ??= await startTestHub();
  for (const name of SUBGRAPH_NAMES) {
    const synchronized = await synchronizedSchema(name);
    expect({ name, schema: await schemaDump(hub.subgraphs[name].ds) }).toEqual({ name, schema: synchronized });
    expect({ name, schema: await migratedSchema(name) }).toEqual({ name, schema: synchronized });
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

import { pendingSchemaChanges } from "../gateway/migrations";
import { startTestHub, type TestHub } from "./support/hub";

// On MySQL/MariaDB the schema comes from the checked-in migrations; they must cover every entity.
const onMysql = process.env.MYSQL_URL ? test : test.skip;

let hub: TestHub | undefined;
afterAll(() => hub?.stop());

onMysql("the checked-in migrations leave no schema drift (run `npm run migration:generate -- <Name>` after entity changes)", async () => {
  hub = await startTestHub();
  for (const [name, sg] of Object.entries(hub.subgraphs)) {
    expect({ name, pending: await pendingSchemaChanges(sg.ds) }).toEqual({ name, pending: [] });
  }
}, 60_000);

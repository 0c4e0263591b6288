import type { TestHub } from "./hub";

/** Rows in every table of every subgraph: a rejected request must leave all of them as they were. */
export async function rowCounts(hub: TestHub): Promise<Record<string, number>> {
  await hub.settle(); // rows at rest: every event published and consumed
  const counts: Record<string, number> = {};
  for (const [name, sg] of Object.entries(hub.subgraphs)) {
    for (const meta of sg.ds.entityMetadatas) {
      const rows = await sg.ds.query(`SELECT COUNT(*) AS n FROM ${sg.ds.driver.escape(meta.tableName)}`);
      counts[`${name}.${meta.tableName}`] = Number(rows[0].n);
    }
  }
  return counts;
}

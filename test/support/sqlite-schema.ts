import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DataSource } from "typeorm";
import { SUBGRAPHS } from "../../gateway/subgraph-list";
import type { SubgraphName } from "../../subgraphs/kernel/config";
import { openDatabase } from "../../subgraphs/kernel/database";
import { DELIVERY_ENTITIES } from "../../subgraphs/kernel/delivery-holds";
import { EVENT_ENTITIES } from "../../subgraphs/kernel/events";

/** The schema as `sqlite3 file .schema` prints it: every CREATE statement, but the migrations table's. */
export async function schemaDump(ds: DataSource): Promise<string[]> {
  const rows: Array<{ sql: string }> = await ds.query(
    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name <> 'migrations' ORDER BY type DESC, name",
  );
  return rows.map((r) => `${r.sql};`);
}

async function inScratchFile<T>(open: (file: string, dataDir: string) => Promise<DataSource>, work: (ds: DataSource) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "orderhub-schema-"));
  const ds = await open(path.join(dataDir, "scratch.sqlite"), dataDir);
  try {
    return await work(ds);
  } finally {
    await ds.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Reads (`schemaDump`, `schemaShape`) what TypeORM's synchronize makes of the subgraph's entities in a new file. */
export function synchronizedSchema<T>(sg: SubgraphName, read: (ds: DataSource) => Promise<T>): Promise<T> {
  return inScratchFile(async (file) => {
    const ds = new DataSource({ type: "better-sqlite3", database: file, entities: [...SUBGRAPHS[sg].entities, ...EVENT_ENTITIES, ...DELIVERY_ENTITIES], synchronize: true });
    return ds.initialize();
  }, read);
}

/** Reads what the subgraph's migrations (or the given ones) make of a new file. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function migratedSchema<T>(sg: SubgraphName, read: (ds: DataSource) => Promise<T>, migrations: Function[] = SUBGRAPHS[sg].migrations): Promise<T> {
  return inScratchFile(
    (_file, dataDir) => openDatabase({ service: sg, dbNamePrefix: "", dataDir, entities: [...SUBGRAPHS[sg].entities, ...EVENT_ENTITIES, ...DELIVERY_ENTITIES], migrations }),
    read,
  );
}

/** Reads a file as it is, without running anything on it. */
export async function fileSchema<T>(file: string, read: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = await new DataSource({ type: "better-sqlite3", database: file }).initialize();
  try {
    return await read(ds);
  } finally {
    await ds.destroy();
  }
}

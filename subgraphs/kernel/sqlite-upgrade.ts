import { existsSync } from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { DataSource } from "typeorm";

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type MigrationClass = Function;

/**
 * The schema migrations of the last release that created SQLite files from the entities
 * (TypeORM synchronize) instead of running migrations. A file it made has no migrations
 * table and exactly their schema, so it is recorded as having run them; the migrations
 * after them (the data migrations included) then run as on any other database. This set
 * never changes: from then on SQLite files get their schema from migrations only.
 */
export const SYNCHRONIZED_BASELINE: ReadonlySet<string> = new Set(["Initial1795383151672", "AddressMatching1795389723898"]);

/**
 * Adopts a file made by synchronize (it has tables but no migrations table): when its
 * schema is the baseline's, the baseline migrations are recorded as run. Any other schema
 * (e.g. a file from an older release that never started on the last synchronizing one) is
 * refused, with the tables that differ, before anything in the file changes.
 */
export async function adoptSynchronizedFile(file: string, migrations: MigrationClass[]): Promise<void> {
  if (!existsSync(file)) return;
  const baseline = migrations.filter((m) => SYNCHRONIZED_BASELINE.has(m.name));
  const ds = new DataSource({ type: "better-sqlite3", database: file, migrations: baseline });
  await ds.initialize();
  try {
    const tables = await tableNames(ds);
    if (tables.length === 0 || tables.includes("migrations")) return;
    const differ = differingTables(await baselineShape(baseline), await schemaShape(ds));
    if (differ.length > 0) {
      throw new Error(
        `${path.basename(file)} has no migrations table, so a release that created its schema from the entities made it, ` +
          `but not the last such release: its tables ${differ.join(", ")} differ from that release's. ` +
          "Start this data folder once with that release (it brings the schema up to date), then with this one.",
      );
    }
    await ds.runMigrations({ fake: true, transaction: "all" });
  } finally {
    await ds.destroy();
  }
}

/**
 * Migrations run with foreign keys off (TypeORM does that on SQLite, so that a table can be
 * rebuilt under rows that point at it): check afterwards that every reference still holds.
 */
export async function assertForeignKeysHold(ds: DataSource): Promise<void> {
  const broken: Array<{ table: string }> = await ds.query("PRAGMA foreign_key_check");
  if (broken.length > 0) {
    throw new Error(`After the migrations, rows of ${[...new Set(broken.map((b) => b.table))].join(", ")} refer to rows that do not exist.`);
  }
}

/** The schema of each table, independent of column order (a rebuilt table may order them differently). */
export type SchemaShape = Record<string, unknown>;

export async function schemaShape(ds: DataSource): Promise<SchemaShape> {
  const shape: SchemaShape = {};
  const rows: Array<{ name: string; sql: string }> = await ds.query(
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT IN ('migrations', 'typeorm_metadata')",
  );
  const sorted = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
  for (const { name, sql } of rows) {
    const q = `"${name.replace(/"/g, '""')}"`;
    const columns: Array<Record<string, unknown>> = await ds.query(`PRAGMA table_xinfo(${q})`);
    const indexes: Array<{ name: string; unique: number; origin: string; partial: number }> = await ds.query(`PRAGMA index_list(${q})`);
    const indexShapes = [];
    for (const ix of indexes) {
      const parts: Array<{ name: string }> = await ds.query(`PRAGMA index_info("${ix.name.replace(/"/g, '""')}")`);
      // Indexes for a primary key or a UNIQUE constraint get numbered names: compare what they cover.
      indexShapes.push({ name: ix.origin === "c" ? ix.name : ix.origin, unique: ix.unique, partial: ix.partial, columns: parts.map((p) => p.name) });
    }
    const foreignKeys: Array<Record<string, unknown>> = await ds.query(`PRAGMA foreign_key_list(${q})`);
    shape[name] = {
      columns: sorted(columns.map(({ name, type, notnull, dflt_value, pk, hidden }) => ({ name, type, notnull, dflt_value, pk, hidden }))),
      indexes: sorted(indexShapes),
      foreignKeys: sorted(foreignKeys.map(({ table, from, to, on_update, on_delete }) => ({ table, from, to, on_update, on_delete }))),
      checks: (sql.match(/CONSTRAINT "[^"]+" CHECK/g) ?? []).sort(),
      autoincrement: /AUTOINCREMENT/i.test(sql),
    };
  }
  return shape;
}

/** The schema the baseline migrations make, in a scratch in-memory database. */
async function baselineShape(baseline: MigrationClass[]): Promise<SchemaShape> {
  const scratch = new DataSource({ type: "better-sqlite3", database: ":memory:", migrations: baseline });
  await scratch.initialize();
  try {
    await scratch.runMigrations({ transaction: "all" });
    return await schemaShape(scratch);
  } finally {
    await scratch.destroy();
  }
}

function differingTables(expected: SchemaShape, actual: SchemaShape): string[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return names.filter((n) => !isDeepStrictEqual(expected[n], actual[n]));
}

async function tableNames(ds: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> = await ds.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
  return rows.map((r) => r.name);
}

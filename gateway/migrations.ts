import "reflect-metadata";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DataSource } from "typeorm";
import { SUBGRAPH_NAMES, type SubgraphName } from "../subgraphs/kernel/config";
import { openDatabase } from "../subgraphs/kernel/database";
import { DELIVERY_ENTITIES } from "../subgraphs/kernel/delivery-holds";
import { EVENT_ENTITIES } from "../subgraphs/kernel/events";
import { projectRoot } from "../subgraphs/kernel/project-root";
import { SUBGRAPHS } from "./subgraph-list";

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type MigrationClass = Function;

/** SQL that would bring the database in line with the entities; empty when migrations cover them. */
export async function pendingSchemaChanges(ds: DataSource): Promise<string[]> {
  return (await entityDiff(ds)).up;
}

interface Statements {
  up: string[];
  down: string[];
}

const NONE: Statements = { up: [], down: [] };

async function entityDiff(ds: DataSource): Promise<Statements> {
  const log = await ds.driver.createSchemaBuilder().log();
  return { up: log.upQueries.map((q) => q.query), down: log.downQueries.map((q) => q.query).reverse() };
}

const GENERATED = "Generated from the entities by `npm run migration:generate`";
const SQLITE_BRANCH = "isSqlite(queryRunner.connection)";

/**
 * One migration for both databases: `up` and `down` run the SQLite statements on SQLite and
 * the MariaDB ones on MySQL/MariaDB. `sqliteNote` replaces empty SQLite statements with a why.
 */
export function migrationSource(className: string, mariadb: Statements, sqlite: Statements, sqliteNote?: string): string {
  const lines = (qs: string[], none: string) =>
    qs.length ? qs.map((q) => `      await queryRunner.query(${JSON.stringify(q)});`).join("\n") : `      // ${none}`;
  const body = (which: keyof Statements) => `    if (${SQLITE_BRANCH}) {
${lines(sqlite[which], sqliteNote ?? "Nothing to change on SQLite.")}
    } else {
${lines(mariadb[which], "Nothing to change on MySQL/MariaDB.")}
    }`;
  return `import type { MigrationInterface, QueryRunner } from "typeorm";
import { isSqlite } from "../../kernel/database";

/** ${GENERATED} against MariaDB and SQLite. */
export class ${className} implements MigrationInterface {
  name = "${className}";

  async up(queryRunner: QueryRunner): Promise<void> {
${body("up")}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${body("down")}
  }
}
`;
}

function entitiesOf(sg: SubgraphName) {
  return [...SUBGRAPHS[sg].entities, ...EVENT_ENTITIES, ...DELIVERY_ENTITIES];
}

/** The entities' difference from a scratch MariaDB database that ran `migrations`. */
async function mariadbDiff(sg: SubgraphName, mysqlUrl: string, migrations: MigrationClass[]): Promise<Statements> {
  const ds = await openDatabase({ service: sg, mysqlUrl, dbNamePrefix: `ohmig${Date.now()}`, dataDir: "", entities: entitiesOf(sg), migrations, sqlLog: process.env.SQL_LOG === "true" });
  try {
    return await entityDiff(ds);
  } finally {
    await ds.query(`DROP DATABASE \`${ds.options.database}\``);
    await ds.destroy();
  }
}

/** The entities' difference from a scratch SQLite file that ran `migrations`. */
async function sqliteDiff(sg: SubgraphName, migrations: MigrationClass[]): Promise<Statements> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "orderhub-migration-"));
  const ds = await openDatabase({ service: sg, dbNamePrefix: "", dataDir, entities: entitiesOf(sg), migrations, sqlLog: process.env.SQL_LOG === "true" });
  try {
    return await entityDiff(ds);
  } finally {
    await ds.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface MigrationFile {
  className: string;
  file: string;
  source: string;
  migration: MigrationClass;
  /** Written by the generator before migrations carried SQLite statements (MariaDB only). */
  lacksSqlite: boolean;
}

function migrationsDir(sg: SubgraphName) {
  return path.join(projectRoot(), "subgraphs", sg, "migrations");
}

/** The subgraph's migrations in the order TypeORM runs them (by the timestamp in the name), with their files. */
function migrationFiles(sg: SubgraphName): MigrationFile[] {
  const dir = migrationsDir(sg);
  const imports = new Map([...readFileSync(path.join(dir, "index.ts"), "utf8").matchAll(/import \{ (\w+) \} from "\.\/([^"]+)";/g)].map((m) => [m[1], m[2]]));
  return SUBGRAPHS[sg].migrations
    .map((migration) => {
      const className = migration.name;
      const base = imports.get(className);
      if (!base) throw new Error(`${sg}: ${className} is not imported in migrations/index.ts`);
      const file = path.join(dir, `${base}.ts`);
      const source = readFileSync(file, "utf8");
      return { className, file, source, migration, lacksSqlite: source.includes(GENERATED) && !source.includes(SQLITE_BRANCH) };
    })
    .sort((a, b) => Number(a.className.slice(-13)) - Number(b.className.slice(-13)));
}

/** The MariaDB statements of a migration written before migrations carried SQLite ones. */
function mariadbStatementsOf(m: MigrationFile): Statements {
  const [up, down] = m.source.split("async down(");
  const statements = (text: string) => [...text.matchAll(/await queryRunner\.query\(("(?:[^"\\]|\\.)*")\);/g)].map((s) => JSON.parse(s[1]) as string);
  return { up: statements(up), down: statements(down ?? "") };
}

function register(sg: SubgraphName, className: string, base: string) {
  const indexFile = path.join(migrationsDir(sg), "index.ts");
  const index = readFileSync(indexFile, "utf8");
  writeFileSync(
    indexFile,
    `import { ${className} } from "./${base}";\n` + index.replace(/\[([^\]]*)\];/, (_m, list: string) => `[${[list.trim(), className].filter(Boolean).join(", ")}];`),
  );
}

/**
 * `npm run migration:generate -- <Name>`: for each subgraph, applies the checked-in
 * migrations to a scratch MariaDB database and to a scratch SQLite file, and writes one new
 * migration with the statements each still lacks to match the entities.
 */
async function generate(name: string | undefined) {
  const mysqlUrl = process.env.MYSQL_URL;
  if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error("Usage: npm run migration:generate -- <PascalCaseName>");
  if (!mysqlUrl) throw new Error("Set MYSQL_URL to a MariaDB/MySQL server to generate migrations against.");
  const stamp = Date.now();
  for (const sg of SUBGRAPH_NAMES) {
    const lacking = migrationFiles(sg).filter((m) => m.lacksSqlite);
    if (lacking.length) throw new Error(`${sg}: ${lacking.map((m) => m.className).join(", ")} has no SQLite statements yet: run \`npm run migration:sqlite\` first.`);
  }
  const sqliteDiffs = JSON.parse(execFileSync(process.execPath, [__filename, "--sqlite-diff"], { env: withoutMysql(), encoding: "utf8" }).trim().split("\n").pop()!) as Record<SubgraphName, Statements>;
  for (const sg of SUBGRAPH_NAMES) {
    const mariadb = await mariadbDiff(sg, mysqlUrl, SUBGRAPHS[sg].migrations);
    const sqlite = sqliteDiffs[sg];
    if (mariadb.up.length === 0 && sqlite.up.length === 0) {
      console.log(`${sg}: no changes`);
      continue;
    }
    const className = `${name}${stamp}`;
    writeFileSync(path.join(migrationsDir(sg), `${stamp}-${name}.ts`), migrationSource(className, mariadb, sqlite));
    register(sg, className, `${stamp}-${name}`);
    console.log(`${sg}: wrote migrations/${stamp}-${name}.ts (${mariadb.up.length} MariaDB, ${sqlite.up.length} SQLite statements)`);
  }
}

/**
 * `npm run migration:sqlite`: gives the generated migrations that carry MariaDB statements
 * only (written before migrations carried both) their SQLite statements, keeping the MariaDB
 * ones as they are. The SQLite statements are the entities' difference from a scratch SQLite
 * file that ran every migration before the first such one. Nothing can split that difference
 * by migration, so when a subgraph has several, the first carries it all on SQLite and the
 * others say so. Needs no MariaDB.
 */
async function addSqlite() {
  for (const sg of SUBGRAPH_NAMES) {
    const files = migrationFiles(sg);
    const first = files.findIndex((m) => m.lacksSqlite);
    if (first < 0) {
      const drift = await sqliteDiff(sg, SUBGRAPHS[sg].migrations);
      console.log(drift.up.length ? `${sg}: the SQLite schema differs from the entities: run \`npm run migration:generate -- <Name>\`` : `${sg}: nothing to add`);
      continue;
    }
    const later = files.slice(first).filter((m) => m.source.includes(GENERATED) && !m.lacksSqlite);
    if (later.length) {
      throw new Error(`${sg}: ${later.map((m) => m.className).join(", ")} already has SQLite statements but comes after ${files[first].className}, which has none; fill that one in by hand.`);
    }
    const sqlite = await sqliteDiff(sg, files.slice(0, first).map((m) => m.migration));
    const carrier = files[first].className;
    for (const m of files.slice(first).filter((f) => f.lacksSqlite)) {
      const own = m.className === carrier;
      writeFileSync(m.file, migrationSource(m.className, mariadbStatementsOf(m), own ? sqlite : NONE, own ? undefined : `On SQLite this change comes with ${carrier}.`));
      console.log(`${sg}: ${path.basename(m.file)}: ${own ? `${sqlite.up.length} SQLite statements` : `its SQLite change comes with ${carrier}`}`);
    }
  }
  console.log("Check with: npx jest test/migrations.test.ts test/upgrade.test.ts (and the first on MariaDB).");
}

/**
 * Entities can read MYSQL_URL when they load (orders' large text is MEDIUMTEXT on MySQL,
 * TEXT on SQLite), so SQLite statements come from a process without it, as the hub on SQLite has.
 */
function withoutMysql(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.MYSQL_URL;
  return env;
}

/** `--sqlite-diff` (run by generate): every subgraph's SQLite statements, as one JSON line. */
async function printSqliteDiffs() {
  const diffs: Partial<Record<SubgraphName, Statements>> = {};
  for (const sg of SUBGRAPH_NAMES) diffs[sg] = await sqliteDiff(sg, SUBGRAPHS[sg].migrations);
  console.log(JSON.stringify(diffs));
}

const commands: Record<string, (() => Promise<void>) | undefined> = { "--sqlite": addSqlite, "--sqlite-diff": printSqliteDiffs };

if (require.main === module) {
  const command = commands[process.argv[2]];
  if (command && process.env.MYSQL_URL) {
    const run = spawnSync(process.execPath, process.argv.slice(1), { env: withoutMysql(), stdio: "inherit" });
    process.exit(run.status ?? 1);
  }
  (command ? command() : generate(process.argv[2])).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

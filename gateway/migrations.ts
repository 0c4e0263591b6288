import "reflect-metadata";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DataSource } from "typeorm";
import { SUBGRAPH_NAMES } from "../subgraphs/kernel/config";
import { openDatabase } from "../subgraphs/kernel/database";
import { EVENT_ENTITIES } from "../subgraphs/kernel/events";
import { projectRoot } from "../subgraphs/kernel/project-root";
import { SUBGRAPHS } from "./subgraph-list";

/** SQL that would bring the database in line with the entities; empty when migrations cover them. */
export async function pendingSchemaChanges(ds: DataSource): Promise<string[]> {
  const log = await ds.driver.createSchemaBuilder().log();
  return log.upQueries.map((q) => q.query);
}

function migrationSource(className: string, up: string[], down: string[]): string {
  const lines = (qs: string[]) => qs.map((q) => `    await queryRunner.query(${JSON.stringify(q)});`).join("\n");
  return `import type { MigrationInterface, QueryRunner } from "typeorm";

/** Generated from the entities by \`npm run migration:generate\` against MariaDB. */
export class ${className} implements MigrationInterface {
  name = "${className}";

  async up(queryRunner: QueryRunner): Promise<void> {
${lines(up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${lines(down)}
  }
}
`;
}

/**
 * `npm run migration:generate -- <Name>`: for each subgraph, applies the checked-in
 * migrations to a scratch MariaDB database and writes a new migration for whatever the
 * entities still differ by.
 */
async function main() {
  const name = process.argv[2];
  const mysqlUrl = process.env.MYSQL_URL;
  if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error("Usage: npm run migration:generate -- <PascalCaseName>");
  if (!mysqlUrl) throw new Error("Set MYSQL_URL to a MariaDB/MySQL server to generate migrations against.");
  const stamp = Date.now();
  for (const sg of SUBGRAPH_NAMES) {
    const def = SUBGRAPHS[sg];
    const ds = await openDatabase({
      service: sg,
      mysqlUrl,
      dbNamePrefix: `ohmig${stamp}`,
      dataDir: "",
      entities: [...def.entities, ...EVENT_ENTITIES],
      migrations: def.migrations,
    });
    try {
      const log = await ds.driver.createSchemaBuilder().log();
      if (log.upQueries.length === 0) {
        console.log(`${sg}: no changes`);
        continue;
      }
      const className = `${name}${stamp}`;
      const dir = path.join(projectRoot(), "subgraphs", sg, "migrations");
      writeFileSync(path.join(dir, `${stamp}-${name}.ts`), migrationSource(className, log.upQueries.map((q) => q.query), log.downQueries.map((q) => q.query).reverse()));
      const indexFile = path.join(dir, "index.ts");
      let index = readFileSync(indexFile, "utf8");
      index = `import { ${className} } from "./${stamp}-${name}";\n` + index.replace(/\[([^\]]*)\];/, (_m, list: string) => `[${[list.trim(), className].filter(Boolean).join(", ")}];`);
      writeFileSync(indexFile, index);
      console.log(`${sg}: wrote migrations/${stamp}-${name}.ts (${log.upQueries.length} statements)`);
    } finally {
      await ds.query(`DROP DATABASE \`${ds.options.database}\``);
      await ds.destroy();
    }
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

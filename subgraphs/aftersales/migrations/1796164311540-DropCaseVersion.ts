import type { MigrationInterface, QueryRunner } from "typeorm";
import { isSqlite } from "../../kernel/database";

/** Generated from the entities by `npm run migration:generate` against MariaDB and SQLite. */
export class DropCaseVersion1796164311540 implements MigrationInterface {
  name = "DropCaseVersion1796164311540";

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      // On SQLite this change comes with OrderRefStatus1796164131197.
    } else {
      await queryRunner.query("ALTER TABLE `after_sales_cases` DROP COLUMN `version`");
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      // On SQLite this change comes with OrderRefStatus1796164131197.
    } else {
      await queryRunner.query("ALTER TABLE `after_sales_cases` ADD `version` int NOT NULL DEFAULT 1");
    }
  }
}

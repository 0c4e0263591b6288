import type { MigrationInterface, QueryRunner } from "typeorm";

/** Generated from the entities by `npm run migration:generate` against MariaDB. */
export class DropCaseVersion1796164311540 implements MigrationInterface {
  name = "DropCaseVersion1796164311540";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `after_sales_cases` DROP COLUMN `version`");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `after_sales_cases` ADD `version` int NOT NULL DEFAULT 1");
  }
}

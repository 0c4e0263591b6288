import type { MigrationInterface, QueryRunner } from "typeorm";

/** Generated from the entities by `npm run migration:generate` against MariaDB. */
export class OrderRefStatus1796164131197 implements MigrationInterface {
  name = "OrderRefStatus1796164131197";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `order_refs` ADD `status` varchar(20) NULL");
    await queryRunner.query("ALTER TABLE `order_refs` ADD `statusSequence` int NOT NULL DEFAULT '0'");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `order_refs` DROP COLUMN `statusSequence`");
    await queryRunner.query("ALTER TABLE `order_refs` DROP COLUMN `status`");
  }
}

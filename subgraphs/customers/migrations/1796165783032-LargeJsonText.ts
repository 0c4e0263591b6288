import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Generated from the entities by `npm run migration:generate` against MariaDB, then the
 * generated DROP + ADD of each column turned into MODIFY, which keeps the stored rows:
 * JSON columns that grow with a request become MEDIUMTEXT (TEXT holds only 64 KB).
 * Down fails on a row longer than 64 KB, rather than cutting it.
 */
export class LargeJsonText1796165783032 implements MigrationInterface {
  name = "LargeJsonText1796165783032";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `outbox_events` MODIFY `payload` mediumtext NOT NULL");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `outbox_events` MODIFY `payload` text NOT NULL");
  }
}

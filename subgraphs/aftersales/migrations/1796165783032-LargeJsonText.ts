import type { MigrationInterface, QueryRunner } from "typeorm";
import { isSqlite } from "../../kernel/database";

/** Generated from the entities by `npm run migration:generate` against MariaDB and SQLite. */
export class LargeJsonText1796165783032 implements MigrationInterface {
  name = "LargeJsonText1796165783032";

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      // Nothing to change on SQLite.
    } else {
      await queryRunner.query("ALTER TABLE `outbox_events` MODIFY `payload` mediumtext NOT NULL");
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      // Nothing to change on SQLite.
    } else {
      await queryRunner.query("ALTER TABLE `outbox_events` MODIFY `payload` text NOT NULL");
    }
  }
}

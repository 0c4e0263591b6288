import type { MigrationInterface, QueryRunner } from "typeorm";
import { isSqlite } from "../../kernel/database";

/** Generated from the entities by `npm run migration:generate` against MariaDB and SQLite. */
export class AddressMatching1795389723898 implements MigrationInterface {
  name = "AddressMatching1795389723898";

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      // On SQLite this change comes with Initial1795383151672.
    } else {
      await queryRunner.query("ALTER TABLE `channel_identities` ADD `addressKey` varchar(32) NULL");
      await queryRunner.query("CREATE INDEX `ix_identity_address_key` ON `channel_identities` (`addressKey`)");
      await queryRunner.query("CREATE INDEX `ix_identity_name_district` ON `channel_identities` (`nameKey`, `addressCode`)");
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      // On SQLite this change comes with Initial1795383151672.
    } else {
      await queryRunner.query("DROP INDEX `ix_identity_name_district` ON `channel_identities`");
      await queryRunner.query("DROP INDEX `ix_identity_address_key` ON `channel_identities`");
      await queryRunner.query("ALTER TABLE `channel_identities` DROP COLUMN `addressKey`");
    }
  }
}

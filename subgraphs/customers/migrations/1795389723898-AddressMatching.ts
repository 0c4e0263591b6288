import type { MigrationInterface, QueryRunner } from "typeorm";

/** Generated from the entities by `npm run migration:generate` against MariaDB. */
export class AddressMatching1795389723898 implements MigrationInterface {
  name = "AddressMatching1795389723898";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `channel_identities` ADD `addressKey` varchar(32) NULL");
    await queryRunner.query("CREATE INDEX `ix_identity_address_key` ON `channel_identities` (`addressKey`)");
    await queryRunner.query("CREATE INDEX `ix_identity_name_district` ON `channel_identities` (`nameKey`, `addressCode`)");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX `ix_identity_name_district` ON `channel_identities`");
    await queryRunner.query("DROP INDEX `ix_identity_address_key` ON `channel_identities`");
    await queryRunner.query("ALTER TABLE `channel_identities` DROP COLUMN `addressKey`");
  }
}

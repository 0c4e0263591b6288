import type { MigrationInterface, QueryRunner } from "typeorm";
import { isSqlite } from "../../kernel/database";

/** Generated from the entities by `npm run migration:generate` against MariaDB and SQLite. */
export class DeliveryHolds1796173671913 implements MigrationInterface {
  name = "DeliveryHolds1796173671913";

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("CREATE TABLE \"delivery_holds\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"consumer\" varchar(60) NOT NULL, \"eventId\" varchar(36) NOT NULL, \"aggregateId\" varchar(100) NOT NULL, \"sequence\" integer NOT NULL, \"type\" varchar(60) NOT NULL, \"state\" varchar(10) NOT NULL, \"attempts\" integer NOT NULL DEFAULT (0), \"lastError\" varchar(500), \"heldAt\" datetime(3) NOT NULL, \"firstFailedAt\" datetime(3), \"nextAttemptAt\" datetime(3) NOT NULL, \"parkedAt\" datetime(3), \"claimedUntil\" datetime(3), \"event\" text NOT NULL)");
      await queryRunner.query("CREATE INDEX \"ix_delivery_holds_parked\" ON \"delivery_holds\" (\"parkedAt\", \"id\") ");
      await queryRunner.query("CREATE INDEX \"ix_delivery_holds_due\" ON \"delivery_holds\" (\"state\", \"nextAttemptAt\") ");
      await queryRunner.query("CREATE INDEX \"ix_delivery_holds_queue\" ON \"delivery_holds\" (\"consumer\", \"aggregateId\", \"sequence\") ");
      await queryRunner.query("CREATE UNIQUE INDEX \"uq_delivery_holds_event\" ON \"delivery_holds\" (\"consumer\", \"eventId\") ");
      await queryRunner.query("CREATE TABLE \"delivery_audit\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"action\" varchar(10) NOT NULL, \"actor\" varchar(120) NOT NULL, \"at\" datetime(3) NOT NULL, \"detail\" text NOT NULL)");
      await queryRunner.query("CREATE INDEX \"ix_delivery_audit_at\" ON \"delivery_audit\" (\"at\") ");
    } else {
      await queryRunner.query("CREATE TABLE `delivery_holds` (`id` int NOT NULL AUTO_INCREMENT, `consumer` varchar(60) NOT NULL, `eventId` varchar(36) NOT NULL, `aggregateId` varchar(100) NOT NULL, `sequence` int NOT NULL, `type` varchar(60) NOT NULL, `state` varchar(10) NOT NULL, `attempts` int NOT NULL DEFAULT '0', `lastError` varchar(500) NULL, `heldAt` datetime(3) NOT NULL, `firstFailedAt` datetime(3) NULL, `nextAttemptAt` datetime(3) NOT NULL, `parkedAt` datetime(3) NULL, `claimedUntil` datetime(3) NULL, `event` mediumtext NOT NULL, INDEX `ix_delivery_holds_parked` (`parkedAt`, `id`), INDEX `ix_delivery_holds_due` (`state`, `nextAttemptAt`), INDEX `ix_delivery_holds_queue` (`consumer`, `aggregateId`, `sequence`), UNIQUE INDEX `uq_delivery_holds_event` (`consumer`, `eventId`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `delivery_audit` (`id` int NOT NULL AUTO_INCREMENT, `action` varchar(10) NOT NULL, `actor` varchar(120) NOT NULL, `at` datetime(3) NOT NULL, `detail` mediumtext NOT NULL, INDEX `ix_delivery_audit_at` (`at`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("DROP INDEX \"ix_delivery_audit_at\"");
      await queryRunner.query("DROP TABLE \"delivery_audit\"");
      await queryRunner.query("DROP INDEX \"uq_delivery_holds_event\"");
      await queryRunner.query("DROP INDEX \"ix_delivery_holds_queue\"");
      await queryRunner.query("DROP INDEX \"ix_delivery_holds_due\"");
      await queryRunner.query("DROP INDEX \"ix_delivery_holds_parked\"");
      await queryRunner.query("DROP TABLE \"delivery_holds\"");
    } else {
      await queryRunner.query("DROP INDEX `ix_delivery_audit_at` ON `delivery_audit`");
      await queryRunner.query("DROP TABLE `delivery_audit`");
      await queryRunner.query("DROP INDEX `uq_delivery_holds_event` ON `delivery_holds`");
      await queryRunner.query("DROP INDEX `ix_delivery_holds_queue` ON `delivery_holds`");
      await queryRunner.query("DROP INDEX `ix_delivery_holds_due` ON `delivery_holds`");
      await queryRunner.query("DROP INDEX `ix_delivery_holds_parked` ON `delivery_holds`");
      await queryRunner.query("DROP TABLE `delivery_holds`");
    }
  }
}

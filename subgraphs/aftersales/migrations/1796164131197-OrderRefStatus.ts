import type { MigrationInterface, QueryRunner } from "typeorm";
import { isSqlite } from "../../kernel/database";

/** Generated from the entities by `npm run migration:generate` against MariaDB and SQLite. */
export class OrderRefStatus1796164131197 implements MigrationInterface {
  name = "OrderRefStatus1796164131197";

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("DROP INDEX \"ix_after_sales_cases_status_id\"");
      await queryRunner.query("DROP INDEX \"ix_after_sales_cases_order_id\"");
      await queryRunner.query("DROP INDEX \"ix_after_sales_cases_type_id\"");
      await queryRunner.query("CREATE TABLE \"temporary_after_sales_cases\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"orderKey\" integer NOT NULL, \"type\" varchar(12) NOT NULL, \"status\" varchar(10) NOT NULL, \"reason\" varchar(500) NOT NULL, \"currency\" varchar(3) NOT NULL, \"requestedAmountMinor\" integer NOT NULL, \"requestedBy\" varchar(120) NOT NULL, \"createdAt\" datetime NOT NULL DEFAULT (datetime('now')), \"updatedAt\" datetime NOT NULL DEFAULT (datetime('now')))");
      await queryRunner.query("INSERT INTO \"temporary_after_sales_cases\"(\"id\", \"orderKey\", \"type\", \"status\", \"reason\", \"currency\", \"requestedAmountMinor\", \"requestedBy\", \"createdAt\", \"updatedAt\") SELECT \"id\", \"orderKey\", \"type\", \"status\", \"reason\", \"currency\", \"requestedAmountMinor\", \"requestedBy\", \"createdAt\", \"updatedAt\" FROM \"after_sales_cases\"");
      await queryRunner.query("DROP TABLE \"after_sales_cases\"");
      await queryRunner.query("ALTER TABLE \"temporary_after_sales_cases\" RENAME TO \"after_sales_cases\"");
      await queryRunner.query("CREATE INDEX \"ix_after_sales_cases_status_id\" ON \"after_sales_cases\" (\"status\", \"id\") ");
      await queryRunner.query("CREATE INDEX \"ix_after_sales_cases_order_id\" ON \"after_sales_cases\" (\"orderKey\", \"id\") ");
      await queryRunner.query("CREATE INDEX \"ix_after_sales_cases_type_id\" ON \"after_sales_cases\" (\"type\", \"id\") ");
      await queryRunner.query("DROP INDEX \"ix_order_refs_buyer\"");
      await queryRunner.query("CREATE TABLE \"temporary_order_refs\" (\"orderKey\" integer PRIMARY KEY NOT NULL, \"channel\" varchar(10) NOT NULL, \"buyerChannelCustomerId\" varchar(100) NOT NULL, \"currency\" varchar(3) NOT NULL, \"lines\" text NOT NULL, \"totalMinor\" integer NOT NULL, \"status\" varchar(20), \"statusSequence\" integer NOT NULL DEFAULT (0))");
      await queryRunner.query("INSERT INTO \"temporary_order_refs\"(\"orderKey\", \"channel\", \"buyerChannelCustomerId\", \"currency\", \"lines\", \"totalMinor\") SELECT \"orderKey\", \"channel\", \"buyerChannelCustomerId\", \"currency\", \"lines\", \"totalMinor\" FROM \"order_refs\"");
      await queryRunner.query("DROP TABLE \"order_refs\"");
      await queryRunner.query("ALTER TABLE \"temporary_order_refs\" RENAME TO \"order_refs\"");
      await queryRunner.query("CREATE INDEX \"ix_order_refs_buyer\" ON \"order_refs\" (\"channel\", \"buyerChannelCustomerId\") ");
    } else {
      await queryRunner.query("ALTER TABLE `order_refs` ADD `status` varchar(20) NULL");
      await queryRunner.query("ALTER TABLE `order_refs` ADD `statusSequence` int NOT NULL DEFAULT '0'");
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("DROP INDEX \"ix_order_refs_buyer\"");
      await queryRunner.query("ALTER TABLE \"order_refs\" RENAME TO \"temporary_order_refs\"");
      await queryRunner.query("CREATE TABLE \"order_refs\" (\"orderKey\" integer PRIMARY KEY NOT NULL, \"channel\" varchar(10) NOT NULL, \"buyerChannelCustomerId\" varchar(100) NOT NULL, \"currency\" varchar(3) NOT NULL, \"lines\" text NOT NULL, \"totalMinor\" integer NOT NULL)");
      await queryRunner.query("INSERT INTO \"order_refs\"(\"orderKey\", \"channel\", \"buyerChannelCustomerId\", \"currency\", \"lines\", \"totalMinor\") SELECT \"orderKey\", \"channel\", \"buyerChannelCustomerId\", \"currency\", \"lines\", \"totalMinor\" FROM \"temporary_order_refs\"");
      await queryRunner.query("DROP TABLE \"temporary_order_refs\"");
      await queryRunner.query("CREATE INDEX \"ix_order_refs_buyer\" ON \"order_refs\" (\"channel\", \"buyerChannelCustomerId\") ");
      await queryRunner.query("DROP INDEX \"ix_after_sales_cases_type_id\"");
      await queryRunner.query("DROP INDEX \"ix_after_sales_cases_order_id\"");
      await queryRunner.query("DROP INDEX \"ix_after_sales_cases_status_id\"");
      await queryRunner.query("ALTER TABLE \"after_sales_cases\" RENAME TO \"temporary_after_sales_cases\"");
      await queryRunner.query("CREATE TABLE \"after_sales_cases\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"orderKey\" integer NOT NULL, \"type\" varchar(12) NOT NULL, \"status\" varchar(10) NOT NULL, \"reason\" varchar(500) NOT NULL, \"currency\" varchar(3) NOT NULL, \"requestedAmountMinor\" integer NOT NULL, \"requestedBy\" varchar(120) NOT NULL, \"version\" integer NOT NULL DEFAULT (1), \"createdAt\" datetime NOT NULL DEFAULT (datetime('now')), \"updatedAt\" datetime NOT NULL DEFAULT (datetime('now')))");
      await queryRunner.query("INSERT INTO \"after_sales_cases\"(\"id\", \"orderKey\", \"type\", \"status\", \"reason\", \"currency\", \"requestedAmountMinor\", \"requestedBy\", \"createdAt\", \"updatedAt\") SELECT \"id\", \"orderKey\", \"type\", \"status\", \"reason\", \"currency\", \"requestedAmountMinor\", \"requestedBy\", \"createdAt\", \"updatedAt\" FROM \"temporary_after_sales_cases\"");
      await queryRunner.query("DROP TABLE \"temporary_after_sales_cases\"");
      await queryRunner.query("CREATE INDEX \"ix_after_sales_cases_type_id\" ON \"after_sales_cases\" (\"type\", \"id\") ");
      await queryRunner.query("CREATE INDEX \"ix_after_sales_cases_order_id\" ON \"after_sales_cases\" (\"orderKey\", \"id\") ");
      await queryRunner.query("CREATE INDEX \"ix_after_sales_cases_status_id\" ON \"after_sales_cases\" (\"status\", \"id\") ");
    } else {
      await queryRunner.query("ALTER TABLE `order_refs` DROP COLUMN `statusSequence`");
      await queryRunner.query("ALTER TABLE `order_refs` DROP COLUMN `status`");
    }
  }
}

import type { MigrationInterface, QueryRunner } from "typeorm";
import { isSqlite } from "../../kernel/database";

/** Generated from the entities by `npm run migration:generate` against MariaDB and SQLite. */
export class Initial1795383151672 implements MigrationInterface {
  name = "Initial1795383151672";

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("CREATE TABLE \"outbox_events\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"aggregateId\" varchar(100) NOT NULL, \"sequence\" integer NOT NULL, \"type\" varchar(60) NOT NULL, \"occurredAt\" datetime(3) NOT NULL, \"recordedAt\" datetime(3) NOT NULL, \"source\" varchar(40) NOT NULL, \"actor\" varchar(120), \"payload\" text NOT NULL, \"publishedAt\" datetime(3))");
      await queryRunner.query("CREATE INDEX \"ix_outbox_unpublished\" ON \"outbox_events\" (\"publishedAt\", \"recordedAt\") ");
      await queryRunner.query("CREATE UNIQUE INDEX \"uq_outbox_aggregate_seq\" ON \"outbox_events\" (\"aggregateId\", \"sequence\") ");
      await queryRunner.query("CREATE TABLE \"processed_events\" (\"consumer\" varchar(60) NOT NULL, \"eventId\" varchar(36) NOT NULL, \"processedAt\" datetime(3) NOT NULL, PRIMARY KEY (\"consumer\", \"eventId\"))");
      await queryRunner.query("CREATE TABLE \"aggregate_sequences\" (\"aggregateId\" varchar(100) PRIMARY KEY NOT NULL, \"last\" integer NOT NULL)");
      await queryRunner.query("CREATE TABLE \"buyer_links\" (\"channel\" varchar(10) NOT NULL, \"channelCustomerId\" varchar(100) NOT NULL, \"customerKey\" integer NOT NULL, \"tier\" varchar(10), PRIMARY KEY (\"channel\", \"channelCustomerId\"))");
      await queryRunner.query("CREATE INDEX \"ix_buyer_links_customer\" ON \"buyer_links\" (\"customerKey\") ");
      await queryRunner.query("CREATE TABLE \"customer_aliases\" (\"aliasKey\" integer PRIMARY KEY NOT NULL, \"survivorKey\" integer NOT NULL)");
      await queryRunner.query("CREATE INDEX \"ix_customer_aliases_survivor\" ON \"customer_aliases\" (\"survivorKey\") ");
      await queryRunner.query("CREATE TABLE \"after_sales_cases\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"orderKey\" integer NOT NULL, \"type\" varchar(12) NOT NULL, \"status\" varchar(10) NOT NULL, \"reason\" varchar(500) NOT NULL, \"currency\" varchar(3) NOT NULL, \"requestedAmountMinor\" integer NOT NULL, \"requestedBy\" varchar(120) NOT NULL, \"version\" integer NOT NULL DEFAULT (1), \"createdAt\" datetime NOT NULL DEFAULT (datetime('now')), \"updatedAt\" datetime NOT NULL DEFAULT (datetime('now')))");
      await queryRunner.query("CREATE INDEX \"ix_after_sales_cases_type_id\" ON \"after_sales_cases\" (\"type\", \"id\") ");
      await queryRunner.query("CREATE INDEX \"ix_after_sales_cases_order_id\" ON \"after_sales_cases\" (\"orderKey\", \"id\") ");
      await queryRunner.query("CREATE INDEX \"ix_after_sales_cases_status_id\" ON \"after_sales_cases\" (\"status\", \"id\") ");
      await queryRunner.query("CREATE TABLE \"after_sales_lines\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"caseId\" integer NOT NULL, \"orderLineKey\" integer NOT NULL, \"quantity\" integer NOT NULL, \"amountMinor\" integer NOT NULL)");
      await queryRunner.query("CREATE INDEX \"ix_after_sales_lines_case\" ON \"after_sales_lines\" (\"caseId\") ");
      await queryRunner.query("CREATE TABLE \"order_refs\" (\"orderKey\" integer PRIMARY KEY NOT NULL, \"channel\" varchar(10) NOT NULL, \"buyerChannelCustomerId\" varchar(100) NOT NULL, \"currency\" varchar(3) NOT NULL, \"lines\" text NOT NULL, \"totalMinor\" integer NOT NULL)");
      await queryRunner.query("CREATE INDEX \"ix_order_refs_buyer\" ON \"order_refs\" (\"channel\", \"buyerChannelCustomerId\") ");
    } else {
      await queryRunner.query("CREATE TABLE `outbox_events` (`id` varchar(36) NOT NULL, `aggregateId` varchar(100) NOT NULL, `sequence` int NOT NULL, `type` varchar(60) NOT NULL, `occurredAt` datetime(3) NOT NULL, `recordedAt` datetime(3) NOT NULL, `source` varchar(40) NOT NULL, `actor` varchar(120) NULL, `payload` text NOT NULL, `publishedAt` datetime(3) NULL, INDEX `ix_outbox_unpublished` (`publishedAt`, `recordedAt`), UNIQUE INDEX `uq_outbox_aggregate_seq` (`aggregateId`, `sequence`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `processed_events` (`consumer` varchar(60) NOT NULL, `eventId` varchar(36) NOT NULL, `processedAt` datetime(3) NOT NULL, PRIMARY KEY (`consumer`, `eventId`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `aggregate_sequences` (`aggregateId` varchar(100) NOT NULL, `last` int NOT NULL, PRIMARY KEY (`aggregateId`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `buyer_links` (`channel` varchar(10) NOT NULL, `channelCustomerId` varchar(100) NOT NULL, `customerKey` int NOT NULL, `tier` varchar(10) NULL, INDEX `ix_buyer_links_customer` (`customerKey`), PRIMARY KEY (`channel`, `channelCustomerId`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `customer_aliases` (`aliasKey` int NOT NULL, `survivorKey` int NOT NULL, INDEX `ix_customer_aliases_survivor` (`survivorKey`), PRIMARY KEY (`aliasKey`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `after_sales_cases` (`id` int NOT NULL AUTO_INCREMENT, `orderKey` int NOT NULL, `type` varchar(12) NOT NULL, `status` varchar(10) NOT NULL, `reason` varchar(500) NOT NULL, `currency` varchar(3) NOT NULL, `requestedAmountMinor` int NOT NULL, `requestedBy` varchar(120) NOT NULL, `version` int NOT NULL DEFAULT '1', `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `ix_after_sales_cases_type_id` (`type`, `id`), INDEX `ix_after_sales_cases_order_id` (`orderKey`, `id`), INDEX `ix_after_sales_cases_status_id` (`status`, `id`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `after_sales_lines` (`id` int NOT NULL AUTO_INCREMENT, `caseId` int NOT NULL, `orderLineKey` int NOT NULL, `quantity` int NOT NULL, `amountMinor` int NOT NULL, INDEX `ix_after_sales_lines_case` (`caseId`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `order_refs` (`orderKey` int NOT NULL, `channel` varchar(10) NOT NULL, `buyerChannelCustomerId` varchar(100) NOT NULL, `currency` varchar(3) NOT NULL, `lines` text NOT NULL, `totalMinor` int NOT NULL, INDEX `ix_order_refs_buyer` (`channel`, `buyerChannelCustomerId`), PRIMARY KEY (`orderKey`)) ENGINE=InnoDB");
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("DROP INDEX \"ix_order_refs_buyer\"");
      await queryRunner.query("DROP TABLE \"order_refs\"");
      await queryRunner.query("DROP INDEX \"ix_after_sales_lines_case\"");
      await queryRunner.query("DROP TABLE \"after_sales_lines\"");
      await queryRunner.query("DROP INDEX \"ix_after_sales_cases_status_id\"");
      await queryRunner.query("DROP INDEX \"ix_after_sales_cases_order_id\"");
      await queryRunner.query("DROP INDEX \"ix_after_sales_cases_type_id\"");
      await queryRunner.query("DROP TABLE \"after_sales_cases\"");
      await queryRunner.query("DROP INDEX \"ix_customer_aliases_survivor\"");
      await queryRunner.query("DROP TABLE \"customer_aliases\"");
      await queryRunner.query("DROP INDEX \"ix_buyer_links_customer\"");
      await queryRunner.query("DROP TABLE \"buyer_links\"");
      await queryRunner.query("DROP TABLE \"aggregate_sequences\"");
      await queryRunner.query("DROP TABLE \"processed_events\"");
      await queryRunner.query("DROP INDEX \"uq_outbox_aggregate_seq\"");
      await queryRunner.query("DROP INDEX \"ix_outbox_unpublished\"");
      await queryRunner.query("DROP TABLE \"outbox_events\"");
    } else {
      await queryRunner.query("DROP INDEX `ix_order_refs_buyer` ON `order_refs`");
      await queryRunner.query("DROP TABLE `order_refs`");
      await queryRunner.query("DROP INDEX `ix_after_sales_lines_case` ON `after_sales_lines`");
      await queryRunner.query("DROP TABLE `after_sales_lines`");
      await queryRunner.query("DROP INDEX `ix_after_sales_cases_status_id` ON `after_sales_cases`");
      await queryRunner.query("DROP INDEX `ix_after_sales_cases_order_id` ON `after_sales_cases`");
      await queryRunner.query("DROP INDEX `ix_after_sales_cases_type_id` ON `after_sales_cases`");
      await queryRunner.query("DROP TABLE `after_sales_cases`");
      await queryRunner.query("DROP INDEX `ix_customer_aliases_survivor` ON `customer_aliases`");
      await queryRunner.query("DROP TABLE `customer_aliases`");
      await queryRunner.query("DROP INDEX `ix_buyer_links_customer` ON `buyer_links`");
      await queryRunner.query("DROP TABLE `buyer_links`");
      await queryRunner.query("DROP TABLE `aggregate_sequences`");
      await queryRunner.query("DROP TABLE `processed_events`");
      await queryRunner.query("DROP INDEX `uq_outbox_aggregate_seq` ON `outbox_events`");
      await queryRunner.query("DROP INDEX `ix_outbox_unpublished` ON `outbox_events`");
      await queryRunner.query("DROP TABLE `outbox_events`");
    }
  }
}

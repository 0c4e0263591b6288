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
      await queryRunner.query("CREATE TABLE \"customers\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"displayName\" varchar(100) NOT NULL, \"phone\" varchar(20), \"tier\" varchar(10) NOT NULL DEFAULT ('STANDARD'), \"mergedIntoId\" integer, \"addressCode\" varchar(12), \"address\" text, \"marketingOptIn\" boolean, \"lineage\" text, \"version\" integer NOT NULL DEFAULT (1), \"createdAt\" datetime NOT NULL DEFAULT (datetime('now')), \"updatedAt\" datetime NOT NULL DEFAULT (datetime('now')))");
      await queryRunner.query("CREATE INDEX \"ix_customers_phone\" ON \"customers\" (\"phone\") ");
      await queryRunner.query("CREATE INDEX \"ix_customers_merged_into\" ON \"customers\" (\"mergedIntoId\") ");
      await queryRunner.query("CREATE TABLE \"channel_identities\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"channel\" varchar(10) NOT NULL, \"channelCustomerId\" varchar(100) NOT NULL, \"customerId\" integer NOT NULL, \"originCustomerId\" integer NOT NULL, \"name\" varchar(100), \"phoneRaw\" varchar(40), \"phone\" varchar(20), \"phoneVerified\" boolean NOT NULL DEFAULT (0), \"nameKey\" varchar(100), \"deviceFingerprint\" varchar(100), \"addressRaw\" text, \"addressCode\" varchar(12), \"address\" text, \"addressKey\" varchar(32), \"reportedTier\" varchar(20), \"marketingOptIn\" boolean, \"observedAt\" datetime(3) NOT NULL, \"createdAt\" datetime NOT NULL DEFAULT (datetime('now')))");
      await queryRunner.query("CREATE INDEX \"ix_identity_customer\" ON \"channel_identities\" (\"customerId\") ");
      await queryRunner.query("CREATE INDEX \"ix_identity_phone\" ON \"channel_identities\" (\"phone\") ");
      await queryRunner.query("CREATE INDEX \"ix_identity_device\" ON \"channel_identities\" (\"deviceFingerprint\") ");
      await queryRunner.query("CREATE INDEX \"ix_identity_district\" ON \"channel_identities\" (\"addressCode\") ");
      await queryRunner.query("CREATE INDEX \"ix_identity_address_key\" ON \"channel_identities\" (\"addressKey\") ");
      await queryRunner.query("CREATE INDEX \"ix_identity_name_district\" ON \"channel_identities\" (\"nameKey\", \"addressCode\") ");
      await queryRunner.query("CREATE UNIQUE INDEX \"uq_channel_identity\" ON \"channel_identities\" (\"channel\", \"channelCustomerId\") ");
      await queryRunner.query("CREATE TABLE \"customer_match_candidates\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"customerA\" integer NOT NULL, \"customerB\" integer NOT NULL, \"score\" float NOT NULL, \"evidence\" text NOT NULL, \"status\" varchar(10) NOT NULL, \"createdAt\" datetime(3) NOT NULL, \"decidedBy\" varchar(120))");
      await queryRunner.query("CREATE INDEX \"ix_match_candidates_pair\" ON \"customer_match_candidates\" (\"customerA\", \"customerB\") ");
      await queryRunner.query("CREATE INDEX \"ix_match_candidates_status\" ON \"customer_match_candidates\" (\"status\", \"id\") ");
      await queryRunner.query("CREATE TABLE \"customer_spend\" (\"orderKey\" integer PRIMARY KEY NOT NULL, \"channel\" varchar(10) NOT NULL, \"channelCustomerId\" varchar(100) NOT NULL, \"currency\" varchar(3) NOT NULL, \"totalMinor\" integer NOT NULL, \"paid\" boolean NOT NULL, \"cancelled\" boolean NOT NULL)");
      await queryRunner.query("CREATE INDEX \"ix_spend_buyer\" ON \"customer_spend\" (\"channel\", \"channelCustomerId\") ");
      await queryRunner.query("CREATE TABLE \"outbound_deliveries\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"channel\" varchar(10) NOT NULL, \"eventId\" varchar(36) NOT NULL, \"type\" varchar(60) NOT NULL, \"payload\" text NOT NULL, \"status\" varchar(10) NOT NULL, \"attempts\" integer NOT NULL DEFAULT (0), \"nextAttemptAt\" datetime(3) NOT NULL, \"lastError\" varchar(300), \"deliveredAt\" datetime(3), \"createdAt\" datetime(3) NOT NULL)");
      await queryRunner.query("CREATE INDEX \"ix_outbound_due\" ON \"outbound_deliveries\" (\"status\", \"nextAttemptAt\") ");
      await queryRunner.query("CREATE UNIQUE INDEX \"uq_outbound_channel_event\" ON \"outbound_deliveries\" (\"channel\", \"eventId\") ");
    } else {
      await queryRunner.query("CREATE TABLE `outbox_events` (`id` varchar(36) NOT NULL, `aggregateId` varchar(100) NOT NULL, `sequence` int NOT NULL, `type` varchar(60) NOT NULL, `occurredAt` datetime(3) NOT NULL, `recordedAt` datetime(3) NOT NULL, `source` varchar(40) NOT NULL, `actor` varchar(120) NULL, `payload` text NOT NULL, `publishedAt` datetime(3) NULL, INDEX `ix_outbox_unpublished` (`publishedAt`, `recordedAt`), UNIQUE INDEX `uq_outbox_aggregate_seq` (`aggregateId`, `sequence`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `processed_events` (`consumer` varchar(60) NOT NULL, `eventId` varchar(36) NOT NULL, `processedAt` datetime(3) NOT NULL, PRIMARY KEY (`consumer`, `eventId`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `aggregate_sequences` (`aggregateId` varchar(100) NOT NULL, `last` int NOT NULL, PRIMARY KEY (`aggregateId`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `customers` (`id` int NOT NULL AUTO_INCREMENT, `displayName` varchar(100) NOT NULL, `phone` varchar(20) NULL, `tier` varchar(10) NOT NULL DEFAULT 'STANDARD', `mergedIntoId` int NULL, `addressCode` varchar(12) NULL, `address` text NULL, `marketingOptIn` tinyint NULL, `lineage` text NULL, `version` int NOT NULL DEFAULT '1', `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `ix_customers_phone` (`phone`), INDEX `ix_customers_merged_into` (`mergedIntoId`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `channel_identities` (`id` int NOT NULL AUTO_INCREMENT, `channel` varchar(10) NOT NULL, `channelCustomerId` varchar(100) NOT NULL, `customerId` int NOT NULL, `originCustomerId` int NOT NULL, `name` varchar(100) NULL, `phoneRaw` varchar(40) NULL, `phone` varchar(20) NULL, `phoneVerified` tinyint NOT NULL DEFAULT 0, `nameKey` varchar(100) NULL, `deviceFingerprint` varchar(100) NULL, `addressRaw` text NULL, `addressCode` varchar(12) NULL, `address` text NULL, `reportedTier` varchar(20) NULL, `marketingOptIn` tinyint NULL, `observedAt` datetime(3) NOT NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), INDEX `ix_identity_customer` (`customerId`), INDEX `ix_identity_phone` (`phone`), INDEX `ix_identity_device` (`deviceFingerprint`), INDEX `ix_identity_district` (`addressCode`), UNIQUE INDEX `uq_channel_identity` (`channel`, `channelCustomerId`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `customer_match_candidates` (`id` int NOT NULL AUTO_INCREMENT, `customerA` int NOT NULL, `customerB` int NOT NULL, `score` float NOT NULL, `evidence` text NOT NULL, `status` varchar(10) NOT NULL, `createdAt` datetime(3) NOT NULL, `decidedBy` varchar(120) NULL, INDEX `ix_match_candidates_pair` (`customerA`, `customerB`), INDEX `ix_match_candidates_status` (`status`, `id`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `customer_spend` (`orderKey` int NOT NULL, `channel` varchar(10) NOT NULL, `channelCustomerId` varchar(100) NOT NULL, `currency` varchar(3) NOT NULL, `totalMinor` int NOT NULL, `paid` tinyint NOT NULL, `cancelled` tinyint NOT NULL, INDEX `ix_spend_buyer` (`channel`, `channelCustomerId`), PRIMARY KEY (`orderKey`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `outbound_deliveries` (`id` int NOT NULL AUTO_INCREMENT, `channel` varchar(10) NOT NULL, `eventId` varchar(36) NOT NULL, `type` varchar(60) NOT NULL, `payload` text NOT NULL, `status` varchar(10) NOT NULL, `attempts` int NOT NULL DEFAULT '0', `nextAttemptAt` datetime(3) NOT NULL, `lastError` varchar(300) NULL, `deliveredAt` datetime(3) NULL, `createdAt` datetime(3) NOT NULL, INDEX `ix_outbound_due` (`status`, `nextAttemptAt`), UNIQUE INDEX `uq_outbound_channel_event` (`channel`, `eventId`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("DROP INDEX \"uq_outbound_channel_event\"");
      await queryRunner.query("DROP INDEX \"ix_outbound_due\"");
      await queryRunner.query("DROP TABLE \"outbound_deliveries\"");
      await queryRunner.query("DROP INDEX \"ix_spend_buyer\"");
      await queryRunner.query("DROP TABLE \"customer_spend\"");
      await queryRunner.query("DROP INDEX \"ix_match_candidates_status\"");
      await queryRunner.query("DROP INDEX \"ix_match_candidates_pair\"");
      await queryRunner.query("DROP TABLE \"customer_match_candidates\"");
      await queryRunner.query("DROP INDEX \"uq_channel_identity\"");
      await queryRunner.query("DROP INDEX \"ix_identity_name_district\"");
      await queryRunner.query("DROP INDEX \"ix_identity_address_key\"");
      await queryRunner.query("DROP INDEX \"ix_identity_district\"");
      await queryRunner.query("DROP INDEX \"ix_identity_device\"");
      await queryRunner.query("DROP INDEX \"ix_identity_phone\"");
      await queryRunner.query("DROP INDEX \"ix_identity_customer\"");
      await queryRunner.query("DROP TABLE \"channel_identities\"");
      await queryRunner.query("DROP INDEX \"ix_customers_merged_into\"");
      await queryRunner.query("DROP INDEX \"ix_customers_phone\"");
      await queryRunner.query("DROP TABLE \"customers\"");
      await queryRunner.query("DROP TABLE \"aggregate_sequences\"");
      await queryRunner.query("DROP TABLE \"processed_events\"");
      await queryRunner.query("DROP INDEX \"uq_outbox_aggregate_seq\"");
      await queryRunner.query("DROP INDEX \"ix_outbox_unpublished\"");
      await queryRunner.query("DROP TABLE \"outbox_events\"");
    } else {
      await queryRunner.query("DROP INDEX `uq_outbound_channel_event` ON `outbound_deliveries`");
      await queryRunner.query("DROP INDEX `ix_outbound_due` ON `outbound_deliveries`");
      await queryRunner.query("DROP TABLE `outbound_deliveries`");
      await queryRunner.query("DROP INDEX `ix_spend_buyer` ON `customer_spend`");
      await queryRunner.query("DROP TABLE `customer_spend`");
      await queryRunner.query("DROP INDEX `ix_match_candidates_status` ON `customer_match_candidates`");
      await queryRunner.query("DROP INDEX `ix_match_candidates_pair` ON `customer_match_candidates`");
      await queryRunner.query("DROP TABLE `customer_match_candidates`");
      await queryRunner.query("DROP INDEX `uq_channel_identity` ON `channel_identities`");
      await queryRunner.query("DROP INDEX `ix_identity_district` ON `channel_identities`");
      await queryRunner.query("DROP INDEX `ix_identity_device` ON `channel_identities`");
      await queryRunner.query("DROP INDEX `ix_identity_phone` ON `channel_identities`");
      await queryRunner.query("DROP INDEX `ix_identity_customer` ON `channel_identities`");
      await queryRunner.query("DROP TABLE `channel_identities`");
      await queryRunner.query("DROP INDEX `ix_customers_merged_into` ON `customers`");
      await queryRunner.query("DROP INDEX `ix_customers_phone` ON `customers`");
      await queryRunner.query("DROP TABLE `customers`");
      await queryRunner.query("DROP TABLE `aggregate_sequences`");
      await queryRunner.query("DROP TABLE `processed_events`");
      await queryRunner.query("DROP INDEX `uq_outbox_aggregate_seq` ON `outbox_events`");
      await queryRunner.query("DROP INDEX `ix_outbox_unpublished` ON `outbox_events`");
      await queryRunner.query("DROP TABLE `outbox_events`");
    }
  }
}

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
      await queryRunner.query("CREATE TABLE \"orders\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"number\" varchar(20), \"channel\" varchar(10) NOT NULL, \"channelOrderId\" varchar(100) NOT NULL, \"status\" varchar(20) NOT NULL, \"placedAt\" datetime(3) NOT NULL, \"buyerChannelCustomerId\" varchar(100) NOT NULL, \"currency\" varchar(3) NOT NULL, \"subtotalMinor\" integer NOT NULL, \"discountMinor\" integer NOT NULL, \"shippingMinor\" integer NOT NULL, \"totalMinor\" integer NOT NULL, \"shippingAddress\" text, \"promisedDeliveryBy\" datetime(3), \"statusChangedAt\" datetime(3) NOT NULL, \"sourceUpdatedAt\" datetime(3) NOT NULL, \"onHold\" boolean NOT NULL DEFAULT (0), \"holdReason\" varchar(500), \"version\" integer NOT NULL DEFAULT (1), \"createdAt\" datetime NOT NULL DEFAULT (datetime('now')), \"updatedAt\" datetime NOT NULL DEFAULT (datetime('now')))");
      await queryRunner.query("CREATE UNIQUE INDEX \"uq_orders_number\" ON \"orders\" (\"number\") ");
      await queryRunner.query("CREATE INDEX \"ix_orders_status_changed\" ON \"orders\" (\"status\", \"statusChangedAt\") ");
      await queryRunner.query("CREATE INDEX \"ix_orders_buyer_placed\" ON \"orders\" (\"channel\", \"buyerChannelCustomerId\", \"placedAt\", \"id\") ");
      await queryRunner.query("CREATE INDEX \"ix_orders_status_placed\" ON \"orders\" (\"status\", \"placedAt\", \"id\") ");
      await queryRunner.query("CREATE INDEX \"ix_orders_channel_placed\" ON \"orders\" (\"channel\", \"placedAt\", \"id\") ");
      await queryRunner.query("CREATE INDEX \"ix_orders_placed\" ON \"orders\" (\"placedAt\", \"id\") ");
      await queryRunner.query("CREATE UNIQUE INDEX \"uq_orders_channel_order\" ON \"orders\" (\"channel\", \"channelOrderId\") ");
      await queryRunner.query("CREATE TABLE \"order_lines\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"orderId\" integer NOT NULL, \"lineNo\" integer NOT NULL, \"channelSkuId\" varchar(100) NOT NULL, \"title\" varchar(200) NOT NULL, \"quantity\" integer NOT NULL, \"unitPriceMinor\" integer NOT NULL, \"discountMinor\" integer NOT NULL)");
      await queryRunner.query("CREATE INDEX \"ix_order_lines_order\" ON \"order_lines\" (\"orderId\") ");
      await queryRunner.query("CREATE TABLE \"channel_events\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"channel\" varchar(10) NOT NULL, \"eventId\" varchar(150) NOT NULL, \"type\" varchar(30) NOT NULL, \"channelOrderId\" varchar(100) NOT NULL, \"occurredAt\" datetime(3) NOT NULL, \"receivedAt\" datetime(3) NOT NULL, \"status\" varchar(10) NOT NULL, \"note\" varchar(200), \"orderId\" integer, \"canonical\" text NOT NULL, \"rawPayload\" text NOT NULL)");
      await queryRunner.query("CREATE INDEX \"ix_channel_events_order\" ON \"channel_events\" (\"orderId\") ");
      await queryRunner.query("CREATE INDEX \"ix_channel_events_order_ref\" ON \"channel_events\" (\"channel\", \"channelOrderId\", \"status\") ");
      await queryRunner.query("CREATE UNIQUE INDEX \"uq_channel_events\" ON \"channel_events\" (\"channel\", \"eventId\") ");
      await queryRunner.query("CREATE TABLE \"order_exceptions\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"orderId\" integer NOT NULL, \"kind\" varchar(20) NOT NULL, \"stage\" varchar(20), \"detail\" varchar(500) NOT NULL, \"openedAt\" datetime(3) NOT NULL, \"resolvedAt\" datetime(3), \"resolvedBy\" varchar(120), \"resolution\" varchar(500))");
      await queryRunner.query("CREATE INDEX \"ix_order_exceptions_order\" ON \"order_exceptions\" (\"orderId\", \"kind\") ");
      await queryRunner.query("CREATE INDEX \"ix_order_exceptions_open\" ON \"order_exceptions\" (\"resolvedAt\", \"id\") ");
      await queryRunner.query("CREATE TABLE \"known_channel_skus\" (\"channel\" varchar(10) NOT NULL, \"channelSkuId\" varchar(100) NOT NULL, PRIMARY KEY (\"channel\", \"channelSkuId\"))");
    } else {
      await queryRunner.query("CREATE TABLE `outbox_events` (`id` varchar(36) NOT NULL, `aggregateId` varchar(100) NOT NULL, `sequence` int NOT NULL, `type` varchar(60) NOT NULL, `occurredAt` datetime(3) NOT NULL, `recordedAt` datetime(3) NOT NULL, `source` varchar(40) NOT NULL, `actor` varchar(120) NULL, `payload` text NOT NULL, `publishedAt` datetime(3) NULL, INDEX `ix_outbox_unpublished` (`publishedAt`, `recordedAt`), UNIQUE INDEX `uq_outbox_aggregate_seq` (`aggregateId`, `sequence`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `processed_events` (`consumer` varchar(60) NOT NULL, `eventId` varchar(36) NOT NULL, `processedAt` datetime(3) NOT NULL, PRIMARY KEY (`consumer`, `eventId`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `aggregate_sequences` (`aggregateId` varchar(100) NOT NULL, `last` int NOT NULL, PRIMARY KEY (`aggregateId`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `buyer_links` (`channel` varchar(10) NOT NULL, `channelCustomerId` varchar(100) NOT NULL, `customerKey` int NOT NULL, `tier` varchar(10) NULL, INDEX `ix_buyer_links_customer` (`customerKey`), PRIMARY KEY (`channel`, `channelCustomerId`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `customer_aliases` (`aliasKey` int NOT NULL, `survivorKey` int NOT NULL, INDEX `ix_customer_aliases_survivor` (`survivorKey`), PRIMARY KEY (`aliasKey`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `orders` (`id` int NOT NULL AUTO_INCREMENT, `number` varchar(20) NULL, `channel` varchar(10) NOT NULL, `channelOrderId` varchar(100) NOT NULL, `status` varchar(20) NOT NULL, `placedAt` datetime(3) NOT NULL, `buyerChannelCustomerId` varchar(100) NOT NULL, `currency` varchar(3) NOT NULL, `subtotalMinor` int NOT NULL, `discountMinor` int NOT NULL, `shippingMinor` int NOT NULL, `totalMinor` int NOT NULL, `shippingAddress` text NULL, `promisedDeliveryBy` datetime(3) NULL, `statusChangedAt` datetime(3) NOT NULL, `sourceUpdatedAt` datetime(3) NOT NULL, `onHold` tinyint NOT NULL DEFAULT 0, `holdReason` varchar(500) NULL, `version` int NOT NULL DEFAULT '1', `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), UNIQUE INDEX `uq_orders_number` (`number`), INDEX `ix_orders_status_changed` (`status`, `statusChangedAt`), INDEX `ix_orders_buyer_placed` (`channel`, `buyerChannelCustomerId`, `placedAt`, `id`), INDEX `ix_orders_status_placed` (`status`, `placedAt`, `id`), INDEX `ix_orders_channel_placed` (`channel`, `placedAt`, `id`), INDEX `ix_orders_placed` (`placedAt`, `id`), UNIQUE INDEX `uq_orders_channel_order` (`channel`, `channelOrderId`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `order_lines` (`id` int NOT NULL AUTO_INCREMENT, `orderId` int NOT NULL, `lineNo` int NOT NULL, `channelSkuId` varchar(100) NOT NULL, `title` varchar(200) NOT NULL, `quantity` int NOT NULL, `unitPriceMinor` int NOT NULL, `discountMinor` int NOT NULL, INDEX `ix_order_lines_order` (`orderId`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `channel_events` (`id` int NOT NULL AUTO_INCREMENT, `channel` varchar(10) NOT NULL, `eventId` varchar(150) NOT NULL, `type` varchar(30) NOT NULL, `channelOrderId` varchar(100) NOT NULL, `occurredAt` datetime(3) NOT NULL, `receivedAt` datetime(3) NOT NULL, `status` varchar(10) NOT NULL, `note` varchar(200) NULL, `orderId` int NULL, `canonical` text NOT NULL, `rawPayload` mediumtext NOT NULL, INDEX `ix_channel_events_order` (`orderId`), INDEX `ix_channel_events_order_ref` (`channel`, `channelOrderId`, `status`), UNIQUE INDEX `uq_channel_events` (`channel`, `eventId`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `order_exceptions` (`id` int NOT NULL AUTO_INCREMENT, `orderId` int NOT NULL, `kind` varchar(20) NOT NULL, `stage` varchar(20) NULL, `detail` varchar(500) NOT NULL, `openedAt` datetime(3) NOT NULL, `resolvedAt` datetime(3) NULL, `resolvedBy` varchar(120) NULL, `resolution` varchar(500) NULL, INDEX `ix_order_exceptions_order` (`orderId`, `kind`), INDEX `ix_order_exceptions_open` (`resolvedAt`, `id`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `known_channel_skus` (`channel` varchar(10) NOT NULL, `channelSkuId` varchar(100) NOT NULL, PRIMARY KEY (`channel`, `channelSkuId`)) ENGINE=InnoDB");
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("DROP TABLE \"known_channel_skus\"");
      await queryRunner.query("DROP INDEX \"ix_order_exceptions_open\"");
      await queryRunner.query("DROP INDEX \"ix_order_exceptions_order\"");
      await queryRunner.query("DROP TABLE \"order_exceptions\"");
      await queryRunner.query("DROP INDEX \"uq_channel_events\"");
      await queryRunner.query("DROP INDEX \"ix_channel_events_order_ref\"");
      await queryRunner.query("DROP INDEX \"ix_channel_events_order\"");
      await queryRunner.query("DROP TABLE \"channel_events\"");
      await queryRunner.query("DROP INDEX \"ix_order_lines_order\"");
      await queryRunner.query("DROP TABLE \"order_lines\"");
      await queryRunner.query("DROP INDEX \"uq_orders_channel_order\"");
      await queryRunner.query("DROP INDEX \"ix_orders_placed\"");
      await queryRunner.query("DROP INDEX \"ix_orders_channel_placed\"");
      await queryRunner.query("DROP INDEX \"ix_orders_status_placed\"");
      await queryRunner.query("DROP INDEX \"ix_orders_buyer_placed\"");
      await queryRunner.query("DROP INDEX \"ix_orders_status_changed\"");
      await queryRunner.query("DROP INDEX \"uq_orders_number\"");
      await queryRunner.query("DROP TABLE \"orders\"");
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
      await queryRunner.query("DROP TABLE `known_channel_skus`");
      await queryRunner.query("DROP INDEX `ix_order_exceptions_open` ON `order_exceptions`");
      await queryRunner.query("DROP INDEX `ix_order_exceptions_order` ON `order_exceptions`");
      await queryRunner.query("DROP TABLE `order_exceptions`");
      await queryRunner.query("DROP INDEX `uq_channel_events` ON `channel_events`");
      await queryRunner.query("DROP INDEX `ix_channel_events_order_ref` ON `channel_events`");
      await queryRunner.query("DROP INDEX `ix_channel_events_order` ON `channel_events`");
      await queryRunner.query("DROP TABLE `channel_events`");
      await queryRunner.query("DROP INDEX `ix_order_lines_order` ON `order_lines`");
      await queryRunner.query("DROP TABLE `order_lines`");
      await queryRunner.query("DROP INDEX `uq_orders_channel_order` ON `orders`");
      await queryRunner.query("DROP INDEX `ix_orders_placed` ON `orders`");
      await queryRunner.query("DROP INDEX `ix_orders_channel_placed` ON `orders`");
      await queryRunner.query("DROP INDEX `ix_orders_status_placed` ON `orders`");
      await queryRunner.query("DROP INDEX `ix_orders_buyer_placed` ON `orders`");
      await queryRunner.query("DROP INDEX `ix_orders_status_changed` ON `orders`");
      await queryRunner.query("DROP INDEX `uq_orders_number` ON `orders`");
      await queryRunner.query("DROP TABLE `orders`");
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

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
      await queryRunner.query("CREATE TABLE \"products\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"sku\" varchar(64) NOT NULL, \"title\" varchar(200) NOT NULL, \"attributes\" text NOT NULL, \"createdAt\" datetime NOT NULL DEFAULT (datetime('now')), \"updatedAt\" datetime NOT NULL DEFAULT (datetime('now')))");
      await queryRunner.query("CREATE UNIQUE INDEX \"uq_products_sku\" ON \"products\" (\"sku\") ");
      await queryRunner.query("CREATE TABLE \"channel_sku_mappings\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"channel\" varchar(10) NOT NULL, \"channelSkuId\" varchar(100) NOT NULL, \"productId\" integer NOT NULL, \"createdAt\" datetime NOT NULL DEFAULT (datetime('now')))");
      await queryRunner.query("CREATE INDEX \"ix_channel_sku_product\" ON \"channel_sku_mappings\" (\"productId\") ");
      await queryRunner.query("CREATE UNIQUE INDEX \"uq_channel_sku\" ON \"channel_sku_mappings\" (\"channel\", \"channelSkuId\") ");
    } else {
      await queryRunner.query("CREATE TABLE `outbox_events` (`id` varchar(36) NOT NULL, `aggregateId` varchar(100) NOT NULL, `sequence` int NOT NULL, `type` varchar(60) NOT NULL, `occurredAt` datetime(3) NOT NULL, `recordedAt` datetime(3) NOT NULL, `source` varchar(40) NOT NULL, `actor` varchar(120) NULL, `payload` text NOT NULL, `publishedAt` datetime(3) NULL, INDEX `ix_outbox_unpublished` (`publishedAt`, `recordedAt`), UNIQUE INDEX `uq_outbox_aggregate_seq` (`aggregateId`, `sequence`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `processed_events` (`consumer` varchar(60) NOT NULL, `eventId` varchar(36) NOT NULL, `processedAt` datetime(3) NOT NULL, PRIMARY KEY (`consumer`, `eventId`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `aggregate_sequences` (`aggregateId` varchar(100) NOT NULL, `last` int NOT NULL, PRIMARY KEY (`aggregateId`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `products` (`id` int NOT NULL AUTO_INCREMENT, `sku` varchar(64) NOT NULL, `title` varchar(200) NOT NULL, `attributes` text NOT NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), UNIQUE INDEX `uq_products_sku` (`sku`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
      await queryRunner.query("CREATE TABLE `channel_sku_mappings` (`id` int NOT NULL AUTO_INCREMENT, `channel` varchar(10) NOT NULL, `channelSkuId` varchar(100) NOT NULL, `productId` int NOT NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), INDEX `ix_channel_sku_product` (`productId`), UNIQUE INDEX `uq_channel_sku` (`channel`, `channelSkuId`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("DROP INDEX \"uq_channel_sku\"");
      await queryRunner.query("DROP INDEX \"ix_channel_sku_product\"");
      await queryRunner.query("DROP TABLE \"channel_sku_mappings\"");
      await queryRunner.query("DROP INDEX \"uq_products_sku\"");
      await queryRunner.query("DROP TABLE \"products\"");
      await queryRunner.query("DROP TABLE \"aggregate_sequences\"");
      await queryRunner.query("DROP TABLE \"processed_events\"");
      await queryRunner.query("DROP INDEX \"uq_outbox_aggregate_seq\"");
      await queryRunner.query("DROP INDEX \"ix_outbox_unpublished\"");
      await queryRunner.query("DROP TABLE \"outbox_events\"");
    } else {
      await queryRunner.query("DROP INDEX `uq_channel_sku` ON `channel_sku_mappings`");
      await queryRunner.query("DROP INDEX `ix_channel_sku_product` ON `channel_sku_mappings`");
      await queryRunner.query("DROP TABLE `channel_sku_mappings`");
      await queryRunner.query("DROP INDEX `uq_products_sku` ON `products`");
      await queryRunner.query("DROP TABLE `products`");
      await queryRunner.query("DROP TABLE `aggregate_sequences`");
      await queryRunner.query("DROP TABLE `processed_events`");
      await queryRunner.query("DROP INDEX `uq_outbox_aggregate_seq` ON `outbox_events`");
      await queryRunner.query("DROP INDEX `ix_outbox_unpublished` ON `outbox_events`");
      await queryRunner.query("DROP TABLE `outbox_events`");
    }
  }
}

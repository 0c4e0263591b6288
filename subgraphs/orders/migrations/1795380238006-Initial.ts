import type { MigrationInterface, QueryRunner } from "typeorm";

/** Generated from the entities by `npm run migration:generate` against MariaDB. */
export class Initial1795380238006 implements MigrationInterface {
  name = "Initial1795380238006";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE `outbox_events` (`id` varchar(36) NOT NULL, `aggregateId` varchar(100) NOT NULL, `sequence` int NOT NULL, `type` varchar(60) NOT NULL, `occurredAt` datetime(3) NOT NULL, `recordedAt` datetime(3) NOT NULL, `source` varchar(40) NOT NULL, `actor` varchar(120) NULL, `payload` text NOT NULL, `publishedAt` datetime(3) NULL, INDEX `ix_outbox_unpublished` (`publishedAt`, `recordedAt`), UNIQUE INDEX `uq_outbox_aggregate_seq` (`aggregateId`, `sequence`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
    await queryRunner.query("CREATE TABLE `processed_events` (`consumer` varchar(60) NOT NULL, `eventId` varchar(36) NOT NULL, `processedAt` datetime(3) NOT NULL, PRIMARY KEY (`consumer`, `eventId`)) ENGINE=InnoDB");
    await queryRunner.query("CREATE TABLE `buyer_links` (`channel` varchar(10) NOT NULL, `channelCustomerId` varchar(100) NOT NULL, `customerKey` int NOT NULL, INDEX `ix_buyer_links_customer` (`customerKey`), PRIMARY KEY (`channel`, `channelCustomerId`)) ENGINE=InnoDB");
    await queryRunner.query("CREATE TABLE `orders` (`id` int NOT NULL AUTO_INCREMENT, `number` varchar(20) NULL, `channel` varchar(10) NOT NULL, `channelOrderId` varchar(100) NOT NULL, `status` varchar(20) NOT NULL, `placedAt` datetime(3) NOT NULL, `buyerChannelCustomerId` varchar(100) NOT NULL, `currency` varchar(3) NOT NULL, `subtotalMinor` int NOT NULL, `discountMinor` int NOT NULL, `shippingMinor` int NOT NULL, `totalMinor` int NOT NULL, `shippingAddress` text NULL, `version` int NOT NULL DEFAULT '1', `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), UNIQUE INDEX `uq_orders_number` (`number`), INDEX `ix_orders_buyer_placed` (`channel`, `buyerChannelCustomerId`, `placedAt`, `id`), INDEX `ix_orders_status_placed` (`status`, `placedAt`, `id`), INDEX `ix_orders_channel_placed` (`channel`, `placedAt`, `id`), INDEX `ix_orders_placed` (`placedAt`, `id`), UNIQUE INDEX `uq_orders_channel_order` (`channel`, `channelOrderId`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
    await queryRunner.query("CREATE TABLE `order_lines` (`id` int NOT NULL AUTO_INCREMENT, `orderId` int NOT NULL, `lineNo` int NOT NULL, `channelSkuId` varchar(100) NOT NULL, `title` varchar(200) NOT NULL, `quantity` int NOT NULL, `unitPriceMinor` int NOT NULL, `discountMinor` int NOT NULL, INDEX `ix_order_lines_order` (`orderId`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX `ix_order_lines_order` ON `order_lines`");
    await queryRunner.query("DROP TABLE `order_lines`");
    await queryRunner.query("DROP INDEX `uq_orders_channel_order` ON `orders`");
    await queryRunner.query("DROP INDEX `ix_orders_placed` ON `orders`");
    await queryRunner.query("DROP INDEX `ix_orders_channel_placed` ON `orders`");
    await queryRunner.query("DROP INDEX `ix_orders_status_placed` ON `orders`");
    await queryRunner.query("DROP INDEX `ix_orders_buyer_placed` ON `orders`");
    await queryRunner.query("DROP INDEX `uq_orders_number` ON `orders`");
    await queryRunner.query("DROP TABLE `orders`");
    await queryRunner.query("DROP INDEX `ix_buyer_links_customer` ON `buyer_links`");
    await queryRunner.query("DROP TABLE `buyer_links`");
    await queryRunner.query("DROP TABLE `processed_events`");
    await queryRunner.query("DROP INDEX `uq_outbox_aggregate_seq` ON `outbox_events`");
    await queryRunner.query("DROP INDEX `ix_outbox_unpublished` ON `outbox_events`");
    await queryRunner.query("DROP TABLE `outbox_events`");
  }
}

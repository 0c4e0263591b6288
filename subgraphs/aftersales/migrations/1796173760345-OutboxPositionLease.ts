import type { MigrationInterface, QueryRunner } from "typeorm";
import { isSqlite } from "../../kernel/database";

/**
 * Generated from the entities by `npm run migration:generate` against MariaDB and SQLite;
 * edited by hand: events published before get feed positions in the order the feed
 * showed them until now, (recordedAt, id), so a reader's next page follows on; and on
 * MariaDB the second unique index TypeORM adds for the column is left out.
 */
export class OutboxPositionLease1796173760345 implements MigrationInterface {
  name = "OutboxPositionLease1796173760345";

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("CREATE TABLE \"job_leases\" (\"name\" varchar(100) PRIMARY KEY NOT NULL, \"holder\" varchar(120) NOT NULL, \"expiresAt\" datetime(3) NOT NULL)");
      await queryRunner.query("DROP INDEX \"uq_outbox_aggregate_seq\"");
      await queryRunner.query("DROP INDEX \"ix_outbox_unpublished\"");
      await queryRunner.query("CREATE TABLE \"temporary_outbox_events\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"aggregateId\" varchar(100) NOT NULL, \"sequence\" integer NOT NULL, \"type\" varchar(60) NOT NULL, \"occurredAt\" datetime(3) NOT NULL, \"recordedAt\" datetime(3) NOT NULL, \"source\" varchar(40) NOT NULL, \"actor\" varchar(120), \"payload\" text NOT NULL, \"publishedAt\" datetime(3), \"position\" bigint)");
      await queryRunner.query("INSERT INTO \"temporary_outbox_events\"(\"id\", \"aggregateId\", \"sequence\", \"type\", \"occurredAt\", \"recordedAt\", \"source\", \"actor\", \"payload\", \"publishedAt\") SELECT \"id\", \"aggregateId\", \"sequence\", \"type\", \"occurredAt\", \"recordedAt\", \"source\", \"actor\", \"payload\", \"publishedAt\" FROM \"outbox_events\"");
      await queryRunner.query("DROP TABLE \"outbox_events\"");
      await queryRunner.query("ALTER TABLE \"temporary_outbox_events\" RENAME TO \"outbox_events\"");
      await queryRunner.query("CREATE UNIQUE INDEX \"uq_outbox_aggregate_seq\" ON \"outbox_events\" (\"aggregateId\", \"sequence\") ");
      await queryRunner.query("CREATE INDEX \"ix_outbox_unpublished\" ON \"outbox_events\" (\"publishedAt\", \"recordedAt\") ");
      await queryRunner.query("CREATE UNIQUE INDEX \"uq_outbox_position\" ON \"outbox_events\" (\"position\") ");
      await queryRunner.query("UPDATE \"outbox_events\" SET \"position\" = r.n FROM (SELECT \"id\", ROW_NUMBER() OVER (ORDER BY \"recordedAt\", \"id\") AS n FROM \"outbox_events\" WHERE \"publishedAt\" IS NOT NULL) AS r WHERE r.\"id\" = \"outbox_events\".\"id\"");
    } else {
      await queryRunner.query("CREATE TABLE `job_leases` (`name` varchar(100) NOT NULL, `holder` varchar(120) NOT NULL, `expiresAt` datetime(3) NOT NULL, PRIMARY KEY (`name`)) ENGINE=InnoDB");
      await queryRunner.query("ALTER TABLE `outbox_events` ADD `position` bigint NULL");
      await queryRunner.query("CREATE UNIQUE INDEX `uq_outbox_position` ON `outbox_events` (`position`)");
      await queryRunner.query("UPDATE `outbox_events` o JOIN (SELECT `id`, ROW_NUMBER() OVER (ORDER BY `recordedAt`, `id`) AS n FROM `outbox_events` WHERE `publishedAt` IS NOT NULL) r ON r.`id` = o.`id` SET o.`position` = r.n");
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("DROP INDEX \"uq_outbox_position\"");
      await queryRunner.query("DROP INDEX \"ix_outbox_unpublished\"");
      await queryRunner.query("DROP INDEX \"uq_outbox_aggregate_seq\"");
      await queryRunner.query("ALTER TABLE \"outbox_events\" RENAME TO \"temporary_outbox_events\"");
      await queryRunner.query("CREATE TABLE \"outbox_events\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"aggregateId\" varchar(100) NOT NULL, \"sequence\" integer NOT NULL, \"type\" varchar(60) NOT NULL, \"occurredAt\" datetime(3) NOT NULL, \"recordedAt\" datetime(3) NOT NULL, \"source\" varchar(40) NOT NULL, \"actor\" varchar(120), \"payload\" text NOT NULL, \"publishedAt\" datetime(3))");
      await queryRunner.query("INSERT INTO \"outbox_events\"(\"id\", \"aggregateId\", \"sequence\", \"type\", \"occurredAt\", \"recordedAt\", \"source\", \"actor\", \"payload\", \"publishedAt\") SELECT \"id\", \"aggregateId\", \"sequence\", \"type\", \"occurredAt\", \"recordedAt\", \"source\", \"actor\", \"payload\", \"publishedAt\" FROM \"temporary_outbox_events\"");
      await queryRunner.query("DROP TABLE \"temporary_outbox_events\"");
      await queryRunner.query("CREATE INDEX \"ix_outbox_unpublished\" ON \"outbox_events\" (\"publishedAt\", \"recordedAt\") ");
      await queryRunner.query("CREATE UNIQUE INDEX \"uq_outbox_aggregate_seq\" ON \"outbox_events\" (\"aggregateId\", \"sequence\") ");
      await queryRunner.query("DROP TABLE \"job_leases\"");
    } else {
      await queryRunner.query("DROP INDEX `uq_outbox_position` ON `outbox_events`");
      await queryRunner.query("ALTER TABLE `outbox_events` DROP COLUMN `position`");
      await queryRunner.query("DROP TABLE `job_leases`");
    }
  }
}

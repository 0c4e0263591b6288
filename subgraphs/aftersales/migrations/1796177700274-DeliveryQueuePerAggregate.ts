import type { MigrationInterface, QueryRunner } from "typeorm";
import { isSqlite } from "../../kernel/database";

/** Generated from the entities by `npm run migration:generate` against MariaDB and SQLite. */
export class DeliveryQueuePerAggregate1796177700274 implements MigrationInterface {
  name = "DeliveryQueuePerAggregate1796177700274";

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("DROP INDEX \"ix_delivery_holds_queue\"");
      await queryRunner.query("CREATE INDEX \"ix_delivery_holds_aggregate\" ON \"delivery_holds\" (\"aggregateId\", \"sequence\") ");
    } else {
      await queryRunner.query("DROP INDEX `ix_delivery_holds_queue` ON `delivery_holds`");
      await queryRunner.query("CREATE INDEX `ix_delivery_holds_aggregate` ON `delivery_holds` (`aggregateId`, `sequence`)");
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isSqlite(queryRunner.connection)) {
      await queryRunner.query("DROP INDEX \"ix_delivery_holds_aggregate\"");
      await queryRunner.query("CREATE INDEX \"ix_delivery_holds_queue\" ON \"delivery_holds\" (\"consumer\", \"aggregateId\", \"sequence\") ");
    } else {
      await queryRunner.query("DROP INDEX `ix_delivery_holds_aggregate` ON `delivery_holds`");
      await queryRunner.query("CREATE INDEX `ix_delivery_holds_queue` ON `delivery_holds` (`consumer`, `aggregateId`, `sequence`)");
    }
  }
}

import type { MigrationInterface, QueryRunner } from "typeorm";
import { appendEvent } from "../../kernel/events";
import { toGlobalId } from "../../kernel/global-id";

/** The event that tells other subgraphs an order's current status, as of this migration. */
export const STATUS_SNAPSHOT = "order.status_snapshot";

/**
 * Written by hand: subgraphs that started keeping order statuses after these orders were
 * created never saw their status. One snapshot event per order, in the outbox, brings it
 * to them; appendEvent gives each the order's next sequence, so a later change still wins.
 */
export class OrderStatusSnapshot1796170000000 implements MigrationInterface {
  name = "OrderStatusSnapshot1796170000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    // In batches by id, so a big table is never read into memory at once.
    for (let after = 0; ; ) {
      const rows: Array<{ id: number; status: string }> = await queryRunner.query(
        "SELECT `id`, `status` FROM `orders` WHERE `id` > ? ORDER BY `id` LIMIT 500",
        [after],
      );
      if (rows.length === 0) return;
      for (const row of rows) {
        await appendEvent(queryRunner.manager, {
          aggregateId: toGlobalId("Order", Number(row.id)),
          type: STATUS_SNAPSHOT,
          source: "hub",
          actor: "migration",
          payload: { orderKey: Number(row.id), status: row.status },
        });
      }
      after = Number(rows[rows.length - 1].id);
    }
  }

  async down(): Promise<void> {
    // The snapshots are history like any other event; they stay.
  }
}

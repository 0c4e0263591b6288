import type { MigrationInterface, QueryRunner } from "typeorm";
import { addressKeyOf, type CleanAddress } from "../cleansing";

/**
 * Written by hand: identities stored before the "same full address" rule get their
 * address key from the cleaned address they already hold, so they can be matched too.
 */
export class BackfillAddressKey1795389723899 implements MigrationInterface {
  name = "BackfillAddressKey1795389723899";

  async up(queryRunner: QueryRunner): Promise<void> {
    // In batches by id, so a big table is never read into memory at once.
    for (let after = 0; ; ) {
      const rows: Array<{ id: number; address: string | null }> = await queryRunner.query(
        "SELECT `id`, `address` FROM `channel_identities` WHERE `id` > ? AND `address` IS NOT NULL ORDER BY `id` LIMIT 1000",
        [after],
      );
      if (rows.length === 0) return;
      for (const row of rows) {
        const key = addressKeyOf(row.address ? (JSON.parse(row.address) as CleanAddress) : null);
        if (key) await queryRunner.query("UPDATE `channel_identities` SET `addressKey` = ? WHERE `id` = ?", [key, row.id]);
      }
      after = rows[rows.length - 1].id;
    }
  }

  async down(): Promise<void> {
    // The column itself goes with AddressMatching's down.
  }
}

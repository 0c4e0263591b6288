import type { MigrationInterface, QueryRunner } from "typeorm";
import { addressKeyOf, type CleanAddress } from "../cleansing";

/**
 * Written by hand: identities stored before the "same full address" rule get their
 * address key from the cleaned address they already hold, so they can be matched too.
 */
export class BackfillAddressKey1795389723899 implements MigrationInterface {
  name = "BackfillAddressKey1795389723899";

  async up(queryRunner: QueryRunner): Promise<void> {
    const rows: Array<{ id: number; address: string | null }> = await queryRunner.query("SELECT `id`, `address` FROM `channel_identities` WHERE `address` IS NOT NULL AND `addressKey` IS NULL");
    for (const row of rows) {
      const key = addressKeyOf(row.address ? (JSON.parse(row.address) as CleanAddress) : null);
      if (key) await queryRunner.query("UPDATE `channel_identities` SET `addressKey` = ? WHERE `id` = ?", [key, row.id]);
    }
  }

  async down(): Promise<void> {
    // The column itself goes with AddressMatching's down.
  }
}

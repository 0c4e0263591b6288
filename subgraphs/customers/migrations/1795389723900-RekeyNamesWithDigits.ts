import type { MigrationInterface, QueryRunner } from "typeorm";
import { isSqlite } from "../../kernel/database";
import { cleanName } from "../cleansing";

/**
 * Written by hand: name keys now keep digits (顾客12 and 顾客13 are two handles, not one
 * name "guke"), so identities stored before with a digit in their name get the new key.
 */
export class RekeyNamesWithDigits1795389723900 implements MigrationInterface {
  name = "RekeyNamesWithDigits1795389723900";

  async up(queryRunner: QueryRunner): Promise<void> {
    // SQLite has no REGEXP operator unless the application defines one; GLOB is its own.
    const hasDigit = isSqlite(queryRunner.connection) ? "`name` GLOB '*[0-9]*'" : "`name` REGEXP '[0-9]'";
    // In batches by id, so a big table is never read into memory at once.
    for (let after = 0; ; ) {
      const rows: Array<{ id: number; name: string }> = await queryRunner.query(
        `SELECT \`id\`, \`name\` FROM \`channel_identities\` WHERE \`id\` > ? AND ${hasDigit} ORDER BY \`id\` LIMIT 1000`,
        [after],
      );
      if (rows.length === 0) return;
      for (const row of rows) {
        const key = cleanName(row.name)?.key ?? null;
        await queryRunner.query("UPDATE `channel_identities` SET `nameKey` = ? WHERE `id` = ?", [key, row.id]);
      }
      after = rows[rows.length - 1].id;
    }
  }

  async down(): Promise<void> {
    // The old keys are not worth restoring: they merged handles that are not one name.
  }
}

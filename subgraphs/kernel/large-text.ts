import type { ValueTransformer } from "typeorm";

/**
 * Text columns for what grows with the size of a request: MySQL/MariaDB's TEXT holds only
 * 64 KB, while an order of 500 lines (its stored channel event, its order.created payload)
 * can be several times that. MEDIUMTEXT holds 16 MB; SQLite's TEXT has no such limit.
 */
export const LARGE_TEXT = process.env.MYSQL_URL ? "mediumtext" : "text";

/** What a LARGE_TEXT column can hold, in bytes: a webhook body beyond this is refused. */
export const LARGE_TEXT_BYTES = 16 * 1024 * 1024 - 1;

/** JSON in a LARGE_TEXT column: what TypeORM's simple-json does, in a column that is large enough. */
export const jsonText: ValueTransformer = {
  to: (value: unknown) => (value === undefined || value === null ? value : JSON.stringify(value)),
  from: (value: unknown) => (typeof value === "string" ? JSON.parse(value) : value),
};

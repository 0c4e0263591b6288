import type { Logger, QueryRunner } from "typeorm";

/**
 * Counts SQL statements per process. The DataLoader test reads it to prove that the
 * statements a query causes do not grow with page size.
 */
let statements = 0;

export function sqlStatementCount(): number {
  return statements;
}

export class CountingLogger implements Logger {
  constructor(private readonly verbose = false) {}
  logQuery(query: string, _parameters?: unknown[], _runner?: QueryRunner) {
    statements++;
    if (this.verbose) console.log(`[sql] ${query}`);
  }
  logQueryError(error: string | Error, query: string) {
    if (this.verbose) console.error(`[sql error] ${String(error)} in ${query}`);
  }
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log(level: "log" | "info" | "warn", message: unknown) {
    if (level === "warn") console.warn(`[db] ${String(message)}`);
  }
}

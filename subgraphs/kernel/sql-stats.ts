import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger, QueryRunner } from "typeorm";
import { log, redacted } from "./logging";

/**
 * Counts the SQL statements that GraphQL requests cause, per process. The DataLoader
 * test reads it to prove that a query's statements do not grow with page size.
 * Background work (the outbox relay's polling) runs outside a request and is not counted.
 */
let statements = 0;
const inRequest = new AsyncLocalStorage<true>();

export function countingStatementsOf<T>(work: () => T): T {
  return inRequest.run(true, work);
}

export function sqlStatementCount(): number {
  return statements;
}

export class CountingLogger implements Logger {
  constructor(private readonly verbose = false) {}
  logQuery(query: string, _parameters?: unknown[], _runner?: QueryRunner) {
    if (inRequest.getStore()) statements++;
    if (this.verbose) log().info({ component: "sql", query }, "sql");
  }
  logQueryError(error: string | Error, query: string) {
    if (this.verbose) log().info({ component: "sql", query, err: error }, "sql error");
  }
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log(level: "log" | "info" | "warn", message: unknown) {
    if (level === "warn") log().warn({ component: "db", message: redacted(String(message)) }, "database warning");
  }
}

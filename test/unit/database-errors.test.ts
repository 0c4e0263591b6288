import { QueryFailedError } from "typeorm";
import { connectToMysqlServer, isCommitOutcomeUnknown, isDatabaseUnavailable } from "../../subgraphs/kernel/database";
import { createLogger } from "../../subgraphs/kernel/logging";
import { COMMIT_OUTCOME_UNKNOWN_MESSAGE, maskError } from "../../subgraphs/kernel/subgraph";

/**
 * Which database errors tell the caller "retry later" (SERVICE_UNAVAILABLE, 503 with
 * Retry-After on the webhook route), which are bugs (INTERNAL_SERVER_ERROR), and which
 * leave a mutation's outcome unknown. Errors are shaped as mysql2 makes them (code,
 * errno, sqlState, fatal) and wrapped as TypeORM wraps them (QueryFailedError).
 */
function mysqlError(code: string, errno: number, sqlState: string, message: string, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), { code, errno, sqlState, sqlMessage: message, fatal: false, ...extra });
}
const wrapped = (query: string, driverError: Error) => new QueryFailedError(query, [], driverError);

const deadlock = () => mysqlError("ER_LOCK_DEADLOCK", 1213, "40001", "Deadlock found when trying to get lock; try restarting transaction");
const lockWait = () => mysqlError("ER_LOCK_WAIT_TIMEOUT", 1205, "HY000", "Lock wait timeout exceeded; try restarting transaction");
const readOnly = () => mysqlError("ER_OPTION_PREVENTS_STATEMENT", 1290, "HY000", "The MariaDB server is running with the --read-only option so it cannot execute this statement");
const lostAtCommit = () => wrapped("COMMIT", Object.assign(new Error("Connection lost: The server closed the connection."), { code: "PROTOCOL_CONNECTION_LOST", fatal: true }));
const duplicate = () => mysqlError("ER_DUP_ENTRY", 1062, "23000", "Duplicate entry '13800138000' for key 'phone'");

const quiet = createLogger({ LOG_LEVEL: "silent" });
const masked = (err: unknown) => maskError({ message: (err as Error).message, extensions: { code: "INTERNAL_SERVER_ERROR" } }, err, quiet);

test.each([
  ["a deadlock still failing after the retries", deadlock],
  ["a lock wait timeout", lockWait],
  ["a read-only server during a failover", readOnly],
])("%s is retryable: SERVICE_UNAVAILABLE, not an internal error", (_what, make) => {
  expect(isDatabaseUnavailable(make())).toBe(true);
  expect(isDatabaseUnavailable(wrapped("UPDATE orders SET status = ? WHERE id = ?", make()))).toBe(true);
  const out = masked(wrapped("UPDATE orders SET status = ? WHERE id = ?", make()));
  expect(out.extensions).toMatchObject({ code: "SERVICE_UNAVAILABLE", errorCode: 5003 });
  expect(out.extensions).not.toHaveProperty("outcome");
  expect(out.message).toMatch(/retry later/);
});

test("a unique violation or a syntax error is not retryable: it stays an internal error", () => {
  expect(isDatabaseUnavailable(wrapped("INSERT INTO customers ...", duplicate()))).toBe(false);
  expect(isDatabaseUnavailable(wrapped("SELEC 1", mysqlError("ER_PARSE_ERROR", 1064, "42000", "You have an error in your SQL syntax")))).toBe(false);
  expect(masked(wrapped("SELEC 1", duplicate())).extensions).toMatchObject({ code: "INTERNAL_SERVER_ERROR", errorCode: 5000 });
});

test("a connection lost during COMMIT leaves the mutation's outcome unknown, and says so instead of inviting a blind retry", () => {
  expect(isCommitOutcomeUnknown(lostAtCommit())).toBe(true);
  const out = masked(lostAtCommit());
  expect(out).toEqual({ message: COMMIT_OUTCOME_UNKNOWN_MESSAGE, extensions: { code: "SERVICE_UNAVAILABLE", errorCode: 5003, outcome: "UNKNOWN" } });
  expect(out.message).toMatch(/may or may not have been made/);
  // The same loss before COMMIT: nothing was committed, a plain retry-later.
  const beforeCommit = wrapped("INSERT INTO orders ...", Object.assign(new Error("Connection lost"), { code: "PROTOCOL_CONNECTION_LOST", fatal: true }));
  expect(isCommitOutcomeUnknown(beforeCommit)).toBe(false);
  expect(masked(beforeCommit).extensions).toEqual({ code: "SERVICE_UNAVAILABLE", errorCode: 5003 });
  // A deadlock reported at COMMIT was rolled back: retryable, not unknown.
  expect(isCommitOutcomeUnknown(wrapped("COMMIT", deadlock()))).toBe(false);
});

const mysqlUrl = process.env.MYSQL_URL;
(mysqlUrl ? test : test.skip)("MariaDB's own lock wait timeout is recognised as retryable", async () => {
  const a = await connectToMysqlServer(mysqlUrl!);
  const b = await connectToMysqlServer(mysqlUrl!);
  const table = `test.lockwait_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  try {
    await a.query("CREATE DATABASE IF NOT EXISTS test");
    await a.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, n INT) ENGINE=InnoDB`);
    await a.query(`INSERT INTO ${table} VALUES (1, 0)`);
    await a.query("START TRANSACTION");
    await a.query(`UPDATE ${table} SET n = 1 WHERE id = 1`);
    await b.query("SET SESSION innodb_lock_wait_timeout = 1");
    const err = await b.query(`UPDATE ${table} SET n = 2 WHERE id = 1`).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: "ER_LOCK_WAIT_TIMEOUT", errno: 1205 });
    expect(isDatabaseUnavailable(err)).toBe(true);
    await a.query("ROLLBACK");
  } finally {
    await a.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await a.end();
    await b.end();
  }
});

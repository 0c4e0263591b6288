import { mkdirSync } from "node:fs";
import path from "node:path";
import retry from "async-retry";
import mysql from "mysql2/promise";
import { DataSource, type EntityManager, type EntityTarget, type MixedList, type ObjectLiteral } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import { onEachPooledConnection, run as runSql } from "./mysql-pool";
import { MAX_PREPARED, SQLITE_STATEMENT_CACHE, usePreparedReads } from "./prepared-reads";
import { CountingLogger } from "./sql-stats";
import { adoptSynchronizedFile, assertForeignKeysHold } from "./sqlite-upgrade";

export interface DatabaseOptions {
  /** Subgraph name; the database is `<prefix>_<service>` or `<dataDir>/<service>.sqlite`. */
  service: string;
  mysqlUrl?: string;
  dbNamePrefix: string;
  dataDir: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[];
  /** MySQL/MariaDB connections (DB_POOL_SIZE); 10 when not given. */
  poolSize?: number;
  /** Log every statement (SQL_LOG). */
  sqlLog?: boolean;
}

/**
 * Opens the subgraph's own database and runs the checked-in migrations on it. MySQL/MariaDB:
 * the database is created if missing. SQLite (the embedded default): a file made by a release
 * that created it from the entities is adopted first (see sqlite-upgrade.ts).
 */
export async function openDatabase(opts: DatabaseOptions): Promise<DataSource> {
  const logger = new CountingLogger(opts.sqlLog ?? false);
  let ds: DataSource;
  if (opts.mysqlUrl) {
    const database = `${opts.dbNamePrefix}_${opts.service}`;
    const flavor = await ensureMysqlDatabase(opts.mysqlUrl, database);
    const u = new URL(opts.mysqlUrl);
    ds = new DataSource({
      type: flavor,
      host: u.hostname,
      port: u.port ? Number(u.port) : 3306,
      username: decodeURIComponent(u.username || "root"),
      password: decodeURIComponent(u.password),
      database,
      timezone: "Z",
      charset: "utf8mb4_unicode_ci",
      entities: opts.entities,
      migrations: opts.migrations,
      migrationsTransactionMode: "each",
      logger,
      // mysql2's per-connection statement cache is what bounds prepared-reads on MySQL.
      // trace off: mysql2 would capture a stack trace for every statement (TypeORM's own
      // QueryFailedError says where a statement failed).
      extra: { connectionLimit: opts.poolSize ?? 10, maxPreparedStatements: MAX_PREPARED, trace: false },
    });
    await ds.initialize();
    // Every pooled connection, not just the one a `ds.query` would reach: CURRENT_TIMESTAMP
    // defaults (createdAt, updatedAt) are written in the session's zone and read back as UTC.
    onEachPooledConnection(ds, async (conn) => {
      await runSql(conn, "SET time_zone = '+00:00'");
      // Once per connection rather than before every transaction: one statement less each.
      // Every statement on the hub's connections reads committed data, in a transaction or not.
      await runSql(conn, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
      // TypeORM asks for the connection's promise wrapper before every statement, and mysql2
      // builds a new one (through require) each time: one per connection serves them all.
      const wrapper = conn.promise();
      conn.promise = () => wrapper;
    });
    usePreparedReads(ds);
    await migrateUnderLock(ds, database);
  } else {
    mkdirSync(opts.dataDir, { recursive: true });
    const file = path.join(opts.dataDir, `${opts.service}.sqlite`);
    await adoptSynchronizedFile(file, opts.migrations);
    ds = new DataSource({
      type: "better-sqlite3",
      database: file,
      entities: opts.entities,
      migrations: opts.migrations,
      // SQLite's schema changes are transactional: one transaction for all pending
      // migrations leaves a file either fully upgraded or as it was. TypeORM turns foreign
      // keys off around it (table rebuilds); assertForeignKeysHold checks them after.
      migrationsTransactionMode: "all",
      enableWAL: true,
      statementCacheSize: SQLITE_STATEMENT_CACHE,
      logger,
    });
    await ds.initialize();
    usePreparedReads(ds);
    await ds.runMigrations();
    await assertForeignKeysHold(ds);
  }
  return ds;
}

/**
 * Several instances of one service may start at once: they take turns on a named server
 * lock, so only the first runs the pending migrations and the others find nothing to do
 * (two running the same ALTER would fail on "duplicate column").
 */
async function migrateUnderLock(ds: DataSource, database: string): Promise<void> {
  const qr = ds.createQueryRunner();
  await qr.connect();
  const lock = `orderhub_migrate_${database}`.slice(0, 64);
  try {
    const [row] = await qr.query("SELECT GET_LOCK(?, 600) AS got", [lock]);
    if (Number(row?.got) !== 1) throw new Error(`Could not take the migration lock ${lock} within 10 minutes: is another instance stuck migrating?`);
    try {
      await ds.runMigrations();
    } finally {
      await qr.query("SELECT RELEASE_LOCK(?)", [lock]);
    }
  } finally {
    await qr.release();
  }
}

/** A unique-key violation on either database: a concurrent insert of the same key won. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  const code = e?.driverError?.code ?? e?.code ?? "";
  // Only a key: NOT NULL, CHECK and foreign-key failures are faults, not "already there".
  return code === "ER_DUP_ENTRY" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}

/**
 * Inserts a row unless one with its key is there: true if inserted. Inside a transaction
 * the duplicate fails that statement only (MySQL/MariaDB and SQLite alike), so the
 * transaction goes on; a concurrent insert of the same key waits for the other to end.
 */
export async function insertUnlessPresent<T extends ObjectLiteral>(em: EntityManager, target: EntityTarget<T>, row: QueryDeepPartialEntity<T>): Promise<boolean> {
  try {
    await em.insert(target, row);
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** Error codes of a database that cannot be reached or lost the connection (mysql2, Node sockets). */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN",
  "PROTOCOL_CONNECTION_LOST", "PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR", "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_SERVER_SHUTDOWN", "ER_CON_COUNT_ERROR", "ER_CONNECTION_KILLED", "ER_CLIENT_INTERACTION_TIMEOUT",
]);

/**
 * Errors after which the same request can work a moment later, with the database up:
 * a deadlock still failing after inTransaction's attempts (1213), a lock wait that timed
 * out (1205), a server that is read-only while a replica is promoted (1290, and 1836 on
 * MariaDB's read_only), SQLite's file busy beyond its timeout. The work was rolled back.
 */
const TRY_AGAIN_CODES = new Set(["ER_LOCK_DEADLOCK", "ER_LOCK_WAIT_TIMEOUT", "ER_OPTION_PREVENTS_STATEMENT", "ER_READ_ONLY_MODE", "SQLITE_BUSY"]);
const TRY_AGAIN_ERRNOS = new Set([1213, 1205, 1290, 1836]);

type DriverErrorShape = { code?: unknown; errno?: unknown; fatal?: unknown; driverError?: unknown; cause?: unknown; message?: unknown; query?: unknown; sql?: unknown };

/** The error and the driver errors it wraps (TypeORM's QueryFailedError.driverError, a cause). */
function* errorChain(err: unknown): Generator<DriverErrorShape> {
  for (let e = err as DriverErrorShape | undefined, depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    yield e;
    e = (e.driverError ?? e.cause) as DriverErrorShape | undefined;
  }
}

function lostConnection(e: DriverErrorShape): boolean {
  if (typeof e.code === "string" && UNREACHABLE_CODES.has(e.code)) return true;
  // mysql2 marks errors that broke the connection as fatal; a closed connection has no code.
  if (e.fatal === true) return true;
  return typeof e.message === "string" && /connection is in closed state|Pool is closed/i.test(e.message);
}

/**
 * The database cannot do this now, not a fault of the request: it is away (down,
 * restarting, out of connections, lost the connection), read-only during a failover, or
 * the request lost a lock race again and again. The caller should try again later.
 * Whatever the work did was rolled back — except when the connection was lost during
 * COMMIT: see isCommitOutcomeUnknown, which callers check first where it matters.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (const e of errorChain(err)) {
    if (lostConnection(e)) return true;
    if (typeof e.code === "string" && TRY_AGAIN_CODES.has(e.code)) return true;
    if (typeof e.errno === "number" && TRY_AGAIN_ERRNOS.has(e.errno) && typeof e.code === "string" && e.code.startsWith("ER_")) return true;
  }
  return false;
}

/**
 * The connection was lost while the database ran COMMIT: the transaction may have been
 * committed or not, and nothing here can tell. A webhook delivery is safe to send again
 * (its events are deduplicated by id); a GraphQL mutation is not, so its caller is told
 * the outcome is unknown rather than invited to retry blindly.
 */
export function isCommitOutcomeUnknown(err: unknown): boolean {
  const chain = [...errorChain(err)];
  const atCommit = chain.some((e) => typeof (e.query ?? e.sql) === "string" && /^\s*COMMIT\b/i.test(String(e.query ?? e.sql)));
  return atCommit && chain.some(lostConnection);
}

/** A connection to the server itself (no database selected), from MYSQL_URL. */
export function connectToMysqlServer(mysqlUrl: string) {
  const u = new URL(mysqlUrl);
  return mysql.createConnection({
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password),
  });
}

/** Drops the per-subgraph databases `<prefix>_<service>` (tests and the benchmark clean up with it). */
export async function dropDatabases(mysqlUrl: string, prefix: string, services: readonly string[]): Promise<void> {
  const conn = await connectToMysqlServer(mysqlUrl);
  try {
    for (const name of services) await conn.query(`DROP DATABASE IF EXISTS \`${prefix}_${name}\``);
  } finally {
    await conn.end();
  }
}

/** Creates the database if missing and tells MariaDB from MySQL (TypeORM treats them differently). */
async function ensureMysqlDatabase(mysqlUrl: string, database: string): Promise<"mariadb" | "mysql"> {
  const conn = await connectToMysqlServer(mysqlUrl);
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const [rows] = await conn.query("SELECT VERSION() AS v");
    return /mariadb/i.test(String((rows as Array<{ v: string }>)[0].v)) ? "mariadb" : "mysql";
  } finally {
    await conn.end();
  }
}

export function isSqlite(ds: DataSource): boolean {
  return ds.options.type === "better-sqlite3";
}

/**
 * The lock option for a read-modify-write inside inTransaction: the row lock on
 * MySQL/MariaDB; none on SQLite, whose transactions inTransaction already runs one at a time.
 */
export function writeLock(source: DataSource | EntityManager) {
  return isSqlite(source instanceof DataSource ? source : source.connection) ? undefined : ({ mode: "pessimistic_write" } as const);
}

/** MySQL/MariaDB rolled this transaction back to break a deadlock: it can simply run again. */
function isDeadlock(err: unknown): boolean {
  const e = err as { errno?: number; driverError?: { errno?: number } } | null;
  return (e?.driverError?.errno ?? e?.errno) === 1213; // ER_LOCK_DEADLOCK
}

/**
 * Runs `work` in a transaction. SQLite has one connection per file here, so
 * transactions are queued one after another instead of interleaving on it.
 * On MySQL, transactions run READ COMMITTED (each pooled connection is set to it); read what
 * you modify with `writeLock`; a transaction picked as a deadlock
 * victim (two that lock the same rows in different orders) is run again, a few times,
 * after a short random pause. `work` must therefore do nothing outside the transaction.
 */
const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();
export async function inTransaction<T>(ds: DataSource, work: (em: EntityManager) => Promise<T>): Promise<T> {
  if (!isSqlite(ds)) {
    return retry(
      async (bail) => {
        try {
          // READ COMMITTED, the level every pooled connection is set to (openDatabase).
          return await ds.transaction(work);
        } catch (err) {
          if (isDeadlock(err)) throw err; // the next attempt
          // Anything else is final. bail() rejects; returning (not throwing) ends the attempts.
          bail(err as Error);
          return undefined as never;
        }
      },
      { retries: 4, minTimeout: 5, maxTimeout: 200, randomize: true },
    );
  }
  const previous = sqliteQueues.get(ds) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => ds.transaction(work));
  sqliteQueues.set(ds, run.catch(() => undefined));
  return run;
}

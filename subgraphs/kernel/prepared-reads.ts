import type { DataSource } from "typeorm";
import { onEachPooledConnection, type PooledConnection } from "./mysql-pool";

/**
 * Hot reads (the storefront's loaders and pages) run as prepared statements with bound
 * parameters, parsed and planned once per connection instead of once per request.
 *
 * A read opts in by carrying the comment `PREPARED` (TypeORM's `comment` find option or
 * `QueryBuilder.comment`), which TypeORM writes as `/* prepared *\/` in front of the SQL:
 * - MySQL/MariaDB: TypeORM sends every statement as text, so a marked statement is
 *   prepared on its pooled connection the first time and executed from then on. Only
 *   marked statements, and at most MAX_PREPARED per connection: the server caps prepared
 *   statements for all its clients together (max_prepared_stmt_count), and ad-hoc reads
 *   (back-office filters) have texts without end.
 * - SQLite: TypeORM keeps prepared statements by SQL text, but writes integers into the
 *   text, so `WHERE id = 7` and `WHERE id = 8` were two statements. Here integers are bound
 *   as parameters (as 64-bit integers, the same value a literal would have), so one text
 *   serves every id.
 * For a text to repeat, the caller also keeps the shape fixed: id lists padded with
 * `padIds`, page sizes bounded by MAX_PAGE_SIZE.
 */
export const PREPARED = "prepared";
const MARK = `/* ${PREPARED} */`;

/** Per pooled MySQL connection (mysql2's maxPreparedStatements); a statement pushed out is closed on the server. */
export const MAX_PREPARED = 64;
/** TypeORM's per-connection cache of SQLite statements (its default is 100). */
export const SQLITE_STATEMENT_CACHE = 1000;

let prepares = 0;
let evictions = 0;
/** Every marked text prepared so far: after warm-up the storefront adds none. Marked texts are few (see padIds); the cap only guards memory against a read that writes values into its text. */
const texts = new Set<string>();
const TEXTS_KEPT = 10_000;

/** The gauges each service reports the three counts below as (its process's). */
export const PREPARED_METRIC = "orderhub_sql_statements_prepared";
export const TEXTS_METRIC = "orderhub_sql_statement_texts_prepared";
export const EVICTED_METRIC = "orderhub_sql_statements_evicted";

/** Statements prepared by this process so far. */
export function sqlPrepareCount(): number {
  return prepares;
}

/**
 * Different marked texts prepared so far. MySQL prepares per pooled connection, so a
 * connection the pool reaches rarely may prepare a known text late; a new text after
 * warm-up is a read that does not bind (a value written into the SQL).
 */
export function sqlPreparedTextCount(): number {
  return texts.size;
}

/**
 * MySQL statements pushed out of a connection's cache by a newer one (closed on the
 * server, prepared again when next run): after warm-up the storefront causes none.
 */
export function sqlStatementEvictions(): number {
  return evictions;
}

function counted(sql: string): void {
  prepares++;
  if (sql.startsWith(MARK) && texts.size < TEXTS_KEPT) texts.add(sql);
}

/**
 * `ids` (distinct) padded to the next power of two by repeating the last one, so a batch
 * of 5 and a batch of 7 share the text `IN (?, ?, ?, ?, ?, ?, ?, ?)`. Callers keep batches
 * at or under MAX_BATCH (DataLoader's maxBatchSize), so there are at most 8 shapes.
 */
export const MAX_BATCH = 128;
export function padIds<T>(ids: readonly T[]): T[] {
  if (ids.length === 0) return [];
  let size = 1;
  while (size < ids.length) size *= 2;
  const padded = [...ids];
  while (padded.length < size) padded.push(ids[ids.length - 1]);
  return padded;
}

export function usePreparedReads(ds: DataSource): void {
  if (ds.options.type === "better-sqlite3") bindSqliteIntegers(ds);
  else prepareMarkedMysqlReads(ds);
}

// ---- SQLite ----------------------------------------------------------------------

type Escape = (sql: string, parameters: Record<string, unknown>, nativeParameters: Record<string, unknown>) => [string, unknown[]];

function bindSqliteIntegers(ds: DataSource): void {
  const driver = ds.driver as unknown as { escapeQueryWithParameters: Escape; databaseConnection: { prepare: (sql: string) => unknown } };
  const escape = driver.escapeQueryWithParameters.bind(driver);
  // A BigInt goes past TypeORM's "write numbers into the text" branch and is bound;
  // better-sqlite3 binds it as INTEGER, exactly what the literal was.
  driver.escapeQueryWithParameters = (sql, parameters, nativeParameters) => {
    if (!parameters) return escape(sql, parameters, nativeParameters);
    const bound: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(parameters)) bound[key] = Array.isArray(value) ? value.map(asBigInt) : asBigInt(value);
    return escape(sql, bound, nativeParameters);
  };
  const db = driver.databaseConnection;
  const prepare = db.prepare.bind(db);
  db.prepare = (sql: string) => {
    const statement = prepare(sql);
    counted(sql);
    return statement;
  };
}

/** How an integer is bound on SQLite: as a 64-bit integer, the value a literal would have had. */
export function asBigInt(value: unknown): unknown {
  return typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : value;
}

// ---- MySQL/MariaDB ---------------------------------------------------------------

/** mysql2's own cache of one connection's prepared statements (an LRU that closes what it pushes out). */
interface StatementLru {
  has(key: string): boolean;
  set(key: string, value: unknown): unknown;
  readonly size: number;
  readonly available: number;
}
interface MysqlConnection extends PooledConnection {
  _statements?: StatementLru;
  constructor: { statementKey?: (options: { sql: string }) => string };
}

const ER_MAX_PREPARED_STMT_COUNT_REACHED = 1461;
/** After the server refused a statement (its cap, all clients together), new texts run as plain statements this long. */
const CAP_PAUSE_MS = 60_000;
let capPausedUntil = 0;

function prepareMarkedMysqlReads(ds: DataSource): void {
  onEachPooledConnection(ds, (conn) => patchConnection(conn as MysqlConnection));
}

/**
 * Marked statements go through mysql2's execute: prepared on the connection the first
 * time, from then on executed from mysql2's per-connection cache (MAX_PREPARED, see
 * database.ts; the least recently used is closed on the server when a new one needs its
 * place). A prepare is counted where mysql2 files a new statement in that cache, so the
 * count is the server's, whatever runs on the connection at once.
 */
function patchConnection(conn: MysqlConnection): void {
  const cache = conn._statements;
  // mysql2's internals: if an upgrade moves them, say so at start-up rather than count nothing.
  const keyOf = conn.constructor.statementKey;
  if (!cache || typeof cache.has !== "function" || typeof cache.set !== "function" || typeof cache.available !== "number" || typeof keyOf !== "function") {
    throw new Error("prepared-reads: this mysql2 version keeps its statement cache elsewhere; update subgraphs/kernel/prepared-reads.ts.");
  }
  const set = cache.set.bind(cache);
  cache.set = (key: string, value: unknown) => {
    if (!cache.has(key)) {
      if (cache.available === 0) evictions++;
      const at = key.indexOf(MARK);
      counted(at >= 0 ? key.slice(at) : key);
    }
    return set(key, value);
  };
  const query = conn.query.bind(conn);
  conn.query = (sql: unknown, values?: unknown, cb?: unknown) => {
    if (typeof sql !== "string" || !sql.startsWith(MARK) || typeof cb !== "function") return query(sql, values, cb);
    const bound = bindLimit(sql, Array.isArray(values) ? values : []);
    // The server's cap on prepared statements was reached lately: new texts run as plain statements.
    if (Date.now() < capPausedUntil && !cache.has(keyOf({ sql: bound.sql }))) return query(sql, values, cb);
    const done = cb as (err: (Error & { errno?: number }) | null, ...rest: unknown[]) => void;
    return conn.execute(bound.sql, bound.values, (err: (Error & { errno?: number }) | null, ...rest: unknown[]) => {
      // The cap is reached: answer as a plain statement rather than fail the read, and
      // stop asking for new ones for a while.
      if (err?.errno === ER_MAX_PREPARED_STMT_COUNT_REACHED) {
        capPausedUntil = Date.now() + CAP_PAUSE_MS;
        return query(sql, values, cb);
      }
      done(err, ...rest);
    });
  };
}

/**
 * TypeORM writes a page's size into the text (`LIMIT 21`): bound instead, so every page
 * size shares one statement.
 */
function bindLimit(sql: string, values: unknown[]): { sql: string; values: unknown[] } {
  const m = / LIMIT (\d+)$/.exec(sql);
  // mysql2 refuses an undefined parameter where the text protocol sent NULL.
  const bound = values.map((v) => (v === undefined ? null : v));
  return m ? { sql: `${sql.slice(0, m.index)} LIMIT ?`, values: [...bound, Number(m[1])] } : { sql, values: bound };
}

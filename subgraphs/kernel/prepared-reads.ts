import type { DataSource } from "typeorm";
import { onEachPooledConnection, type PooledConnection } from "./mysql-pool";

/**
 * Hot reads (the storefront's loaders and pages) run as prepared statements with bound
 * parameters, parsed and planned once per connection instead of once per request.
 *
 * A read opts in by carrying the comment `PREPARED` (TypeORM's `comment` find option or
 * `QueryBuilder.comment`), which TypeORM writes as `/* prepared *\/` in front of the SQL:
 * - MySQL/MariaDB: TypeORM sends every statement as text, so a marked statement is
 *   prepared on its pooled connection the first time and executed from then on, and
 *   the pool's other connections prepare it the next time they run a marked read. Only
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

/** Per pooled MySQL connection; a statement pushed out is closed on the server. */
export const MAX_PREPARED = 64;
/** TypeORM's per-connection cache of SQLite statements (its default is 100). */
export const SQLITE_STATEMENT_CACHE = 1000;

let prepares = 0;

/** The gauge each service reports sqlPrepareCount() as (its process's count). */
export const PREPARED_METRIC = "orderhub_sql_statements_prepared";

/** Statements prepared by this process so far: after warm-up, hot reads add none. */
export function sqlPrepareCount(): number {
  return prepares;
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
    prepares++;
    return prepare(sql);
  };
}

/** How an integer is bound on SQLite: as a 64-bit integer, the value a literal would have had. */
export function asBigInt(value: unknown): unknown {
  return typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : value;
}

// ---- MySQL/MariaDB ---------------------------------------------------------------

function prepareMarkedMysqlReads(ds: DataSource): void {
  const hot = new HotTexts();
  onEachPooledConnection(ds, (conn) => patchConnection(conn, hot));
}

/**
 * The marked texts this pool has run lately, most recent last, at most MAX_PREPARED.
 * A connection prepares what it lacks of them the next time it runs a marked read, so a
 * statement first met on one connection is ready on every connection the pool hands out
 * next: without this, a connection the pool reached rarely prepared a hot read long after
 * warm-up (one of the pool's ten, at a busy hour).
 */
class HotTexts {
  readonly texts = new Set<string>();
  /** Bumped when a text joins; a connection that has seen this generation lacks none. */
  generation = 0;

  touch(sql: string): void {
    if (this.texts.delete(sql)) {
      this.texts.add(sql);
      return;
    }
    this.texts.add(sql);
    this.generation++;
    if (this.texts.size > MAX_PREPARED) this.texts.delete(this.texts.values().next().value as string);
  }
}

const ER_MAX_PREPARED_STMT_COUNT_REACHED = 1461;

function patchConnection(conn: PooledConnection, hot: HotTexts): void {
  const query = conn.query.bind(conn);
  // The texts prepared on this connection, least recently used first. mysql2 keeps the
  // statements themselves (its cache is larger than MAX_PREPARED, so it never drops one first).
  const prepared = new Set<string>();
  let synced = -1;
  const keep = (text: string) => {
    if (prepared.delete(text)) {
      prepared.add(text);
      return false;
    }
    prepares++;
    prepared.add(text);
    if (prepared.size > MAX_PREPARED) {
      const oldest = prepared.values().next().value as string;
      prepared.delete(oldest);
      conn.unprepare(oldest); // out of mysql2's cache and closed on the server
    }
    return true;
  };
  conn.query = (sql: unknown, values?: unknown, cb?: unknown) => {
    if (typeof sql !== "string" || !sql.startsWith(MARK) || typeof cb !== "function") return query(sql, values, cb);
    const bound = bindLimit(sql, Array.isArray(values) ? values : []);
    hot.touch(bound.sql);
    if (synced !== hot.generation) {
      synced = hot.generation;
      // mysql2 runs a connection's commands in order: these go ahead of the read below.
      for (const text of hot.texts) {
        if (text === bound.sql || prepared.has(text)) continue;
        keep(text);
        conn.prepare(text, (err: Error | null) => {
          if (err) prepared.delete(text); // the read that needs it prepares it again, or falls back
        });
      }
    }
    keep(bound.sql);
    const done = cb as (err: (Error & { errno?: number }) | null, ...rest: unknown[]) => void;
    return conn.execute(bound.sql, bound.values, (err: (Error & { errno?: number }) | null, ...rest: unknown[]) => {
      // The server's cap on prepared statements (all clients together) is reached: answer
      // as a plain statement rather than fail the read.
      if (err?.errno === ER_MAX_PREPARED_STMT_COUNT_REACHED) {
        prepared.delete(bound.sql);
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

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
 *   the pool's other connections prepare it while idle, when they go back to the pool. Only
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
let preparedAhead = 0;

/** The gauge each service reports sqlPrepareCount() as (its process's count). */
export const PREPARED_METRIC = "orderhub_sql_statements_prepared";
/** The gauge each service reports sqlPreparedAheadCount() as. */
export const PREPARED_AHEAD_METRIC = "orderhub_sql_statements_prepared_ahead";

/**
 * Statements this process has prepared in front of a read, so far: what requests paid.
 * After warm-up, hot reads add none.
 */
export function sqlPrepareCount(): number {
  return prepares;
}

/**
 * Statements prepared ahead of use on idle MySQL connections (see HotTexts): no request
 * waits for them, and once every connection holds the pool's hot reads they stop too.
 */
export function sqlPreparedAheadCount(): number {
  return preparedAhead;
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
  const caches = new WeakMap<object, StatementCache>();
  onEachPooledConnection(ds, (conn) => {
    const cache = new StatementCache(conn, hot);
    caches.set(conn, cache);
    patchConnection(conn, cache);
  });
  // A connection back in the pool, idle, catches up with the pool's hot reads there,
  // rather than in front of the next request's read.
  const pool = (ds.driver as unknown as { pool: { on(event: "release", listener: (conn: object) => void): void } }).pool;
  pool.on("release", (conn) => caches.get(conn)?.catchUp());
}

/**
 * The marked texts this pool has run lately, most recent last, at most MAX_PREPARED.
 * A connection going back to the pool prepares those it lacks (a few at a time, in free
 * slots only), so a statement first met on one connection is ready on the others before
 * they meet it: without this, a connection the pool reached rarely prepared a hot read
 * long after warm-up (one of the pool's ten, at a busy hour).
 */
class HotTexts {
  readonly texts = new Set<string>();
  /** Bumped when a text joins. */
  generation = 0;
  /** Until when catching up waits, after the server refused more statements (its cap). */
  pausedUntil = 0;

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
/** Statements one release prepares at most: an idle connection, but the pool may hand it out any moment. */
const CATCH_UP_BATCH = 8;
/** After the server's cap was reached, catching up pauses this long (reads still prepare their own). */
const CAP_PAUSE_MS = 60_000;
let catchingUp = 0;

/** Statements being prepared ahead of use right now (tests wait for them to finish). */
export function preparesInFlight(): number {
  return catchingUp;
}

/**
 * The statements prepared on one pooled connection, least recently used first, at most
 * MAX_PREPARED. mysql2 keeps the statements themselves (its cache is larger, so it never
 * drops one first); pushing one out of here closes it on the server.
 */
class StatementCache {
  private readonly prepared = new Set<string>();
  /** Prepares sent ahead of use and not answered yet; true once pushed out meanwhile. */
  private readonly pending = new Map<string, boolean>();
  private synced = -1;

  constructor(
    private readonly conn: PooledConnection,
    private readonly hot: HotTexts,
  ) {}

  /** Before `text` runs as a prepared statement on this connection: counts it when it is new here. */
  use(text: string): void {
    this.hot.touch(text);
    if (this.prepared.delete(text)) {
      this.prepared.add(text);
      return;
    }
    prepares++;
    this.prepared.add(text);
    if (this.prepared.size > MAX_PREPARED) this.evict(this.prepared.values().next().value as string);
  }

  /** `text` failed on this connection: forget it, so it is prepared afresh (and counted) next time. */
  drop(text: string): void {
    if (this.prepared.delete(text)) this.unprepare(text);
  }

  /** Prepares, on this idle connection, hot texts it lacks, into free slots only. */
  catchUp(): void {

    if (this.synced === this.hot.generation || Date.now() < this.hot.pausedUntil || this.dead()) return;
    const free = MAX_PREPARED - this.prepared.size;
    const missing = [...this.hot.texts].reverse().filter((t) => !this.prepared.has(t));
    // Done with this generation once nothing is missing or no slot is left; otherwise the next release goes on.
    if (missing.length <= Math.min(free, CATCH_UP_BATCH)) this.synced = this.hot.generation;
    for (const text of missing.slice(0, Math.min(free, CATCH_UP_BATCH))) {
      this.prepared.add(text);
      this.pending.set(text, false);
      catchingUp++;
      this.conn.prepare(text, (err: (Error & { errno?: number }) | null) => {
        catchingUp--;
        const evicted = this.pending.get(text);
        this.pending.delete(text);
        if (err) {
          this.prepared.delete(text);
          if (err.errno === ER_MAX_PREPARED_STMT_COUNT_REACHED) this.hot.pausedUntil = Date.now() + CAP_PAUSE_MS;
          this.synced = -1; // try again at a later release
          return;
        }
        preparedAhead++;
        if (evicted) this.unprepare(text); // pushed out while it was on its way: close it now
      });
    }
  }

  private evict(text: string): void {
    this.prepared.delete(text);
    if (this.pending.has(text)) this.pending.set(text, true);
    else this.unprepare(text);
  }

  private unprepare(text: string): void {
    if (this.dead()) return; // closing a statement of a dead connection would only raise its error again
    this.conn.unprepare(text); // out of mysql2's cache and closed on the server
  }

  private dead(): boolean {
    return !!(this.conn as unknown as { _fatalError?: unknown })._fatalError;
  }
}

function patchConnection(conn: PooledConnection, cache: StatementCache): void {
  const query = conn.query.bind(conn);
  conn.query = (sql: unknown, values?: unknown, cb?: unknown) => {
    if (typeof sql !== "string" || !sql.startsWith(MARK) || typeof cb !== "function") return query(sql, values, cb);
    const bound = bindLimit(sql, Array.isArray(values) ? values : []);
    cache.use(bound.sql);
    const done = cb as (err: (Error & { errno?: number }) | null, ...rest: unknown[]) => void;
    return conn.execute(bound.sql, bound.values, (err: (Error & { errno?: number }) | null, ...rest: unknown[]) => {
      if (err) cache.drop(bound.sql);
      // The server's cap on prepared statements (all clients together) is reached: answer
      // as a plain statement rather than fail the read.
      if (err?.errno === ER_MAX_PREPARED_STMT_COUNT_REACHED) return query(sql, values, cb);
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

import type { DataSource } from "typeorm";

/** mysql2's callback connection, as its pool hands it out (the part used here). */
export interface PooledConnection {
  query(sql: unknown, values?: unknown, cb?: unknown): unknown;
  /** Prepares `sql` on this connection unless mysql2 has it cached, then executes it. */
  execute(sql: string, values: unknown[], cb: unknown): unknown;
  /** mysql2's promise wrapper of this connection. */
  promise(): unknown;
}
interface Pool {
  getConnection(cb: (err: Error | null, conn: PooledConnection) => void): void;
}

type Setup = (conn: PooledConnection) => Promise<void> | void;
const setups = new WeakMap<object, Setup[]>();
const done = new WeakMap<PooledConnection, number>();

/**
 * Runs `setup` once on every connection of the data source's MySQL pool before TypeORM
 * first uses it, including connections opened before this was called. Session settings
 * belong here: `SET` on `ds.query` reaches one pooled connection, not the pool.
 */
export function onEachPooledConnection(ds: DataSource, setup: Setup): void {
  const pool = (ds.driver as unknown as { pool: Pool }).pool;
  let list = setups.get(pool);
  if (!list) {
    const own: Setup[] = [];
    list = own;
    setups.set(pool, own);
    const getConnection = pool.getConnection.bind(pool);
    pool.getConnection = (cb) =>
      getConnection((err, conn) => {
        if (err) return cb(err, conn);
        const from = done.get(conn) ?? 0;
        if (from === own.length) return cb(null, conn);
        done.set(conn, own.length);
        own
          .slice(from)
          .reduce<Promise<void>>((p, s) => p.then(() => s(conn)), Promise.resolve())
          .then(
            () => cb(null, conn),
            (e: Error) => {
              // A connection that could not be set up is not handed out half-configured.
              done.delete(conn);
              (conn as unknown as { destroy?: () => void }).destroy?.();
              cb(e, conn);
            },
          );
      });
  }
  list.push(setup);
}

/** A statement on a raw pooled connection, as a promise. */
export function run(conn: PooledConnection, sql: string): Promise<void> {
  return new Promise((resolve, reject) => conn.query(sql, [], (err: Error | null) => (err ? reject(err) : resolve())));
}

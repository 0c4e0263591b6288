import mysql from "mysql2/promise";

/**
 * Reads what the services stored, straight from their MariaDB databases
 * (`<prefix>_<service>`), for tests whose services run in other processes.
 */
export class StoredRows {
  private pool: mysql.Pool;

  constructor(mysqlUrl: string, private readonly prefix: string) {
    const u = new URL(mysqlUrl);
    this.pool = mysql.createPool({
      host: u.hostname,
      port: u.port ? Number(u.port) : 3306,
      user: decodeURIComponent(u.username || "root"),
      password: decodeURIComponent(u.password),
      connectionLimit: 2,
      connectTimeout: 2000,
    });
  }

  /** The database name of a service. */
  prefixOf(service: string): string {
    return `${this.prefix}_${service}`;
  }

  private db(service: string): string {
    return `\`${this.prefixOf(service)}\``;
  }

  async rows<T = Record<string, unknown>>(service: string, sql: string, params: unknown[] = []): Promise<T[]> {
    const [rows] = await this.pool.query(sql.replaceAll("{db}", this.db(service)), params);
    return rows as T[];
  }

  async count(service: string, table: string, where = "1=1", params: unknown[] = []): Promise<number> {
    const [row] = await this.rows<{ n: number | string }>(service, `SELECT COUNT(*) AS n FROM {db}.\`${table}\` WHERE ${where}`, params);
    return Number(row.n);
  }

  /** Orders stored per "channel:channelOrderId". */
  async ordersPerChannelOrder(): Promise<Map<string, number>> {
    const rows = await this.rows<{ k: string; n: number | string }>("orders", "SELECT CONCAT(channel, ':', channelOrderId) AS k, COUNT(*) AS n FROM {db}.orders GROUP BY channel, channelOrderId");
    return new Map(rows.map((r) => [r.k, Number(r.n)]));
  }

  /** Outbox rows not yet published, per service. */
  async unpublished(services: readonly string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const s of services) out[s] = await this.count(s, "outbox_events", "publishedAt IS NULL");
    return out;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Waits until `check` returns true (polling), or fails with what `describe` says at the end. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs: number, describe?: () => Promise<string>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    try {
      if (await check()) return Date.now() - start;
    } catch {
      /* not there yet (e.g. the database is still starting) */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms${describe ? `; ${await describe()}` : ""}`);
}

import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { Column, Entity, PrimaryColumn, type DataSource, type EntityManager } from "typeorm";
import { inTransaction, isSqlite, isUniqueViolation } from "./database";

/**
 * Who may run a named job of a service right now. Several instances of a service share
 * its database; a job that must run in one of them at a time (the outbox relay) takes
 * the job's row here and renews it while it works. An instance that dies stops renewing,
 * so its lease runs out and another instance takes the job over.
 */
@Entity("job_leases")
export class JobLease {
  @PrimaryColumn({ type: "varchar", length: 100 })
  name!: string;

  @Column({ type: "varchar", length: 120 })
  holder!: string;

  @Column({ type: "datetime", precision: 3 })
  expiresAt!: Date;
}

/** This process, as a lease holder: unique per Lease object, readable in the table. */
function newHolder(): string {
  return `${hostname().slice(0, 60)}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * One instance's claim on a named lease. `hold()` takes the lease if it is free or expired,
 * renews it if this instance has it, and answers whether this instance holds it; call it
 * before each unit of work. Expiry is judged by the database's clock on MySQL/MariaDB, so
 * instances on hosts with different clocks agree; the holder itself counts its lease from
 * before it asked, on its own monotonic clock, so it always gives up before the database
 * would let another take over (given the TTL is well above the time a renewal takes).
 */
export class Lease {
  /** Until when (performance.now()) this instance may act without asking the database again. */
  private heldUntil = 0;

  constructor(
    private readonly ds: DataSource,
    readonly name: string,
    readonly ttlMs: number,
    readonly holder: string = newHolder(),
  ) {}

  async hold(): Promise<boolean> {
    const now = performance.now();
    // Renew once half the lease is used: a poll every few hundred ms then costs no write.
    if (this.heldUntil - now > this.ttlMs / 2) return true;
    const got = await inTransaction(this.ds, (em) => this.takeOrRenew(em));
    this.heldUntil = got ? now + this.ttlMs : 0;
    return got;
  }

  /** Whether the last hold() still counts, without asking the database. */
  get held(): boolean {
    return this.heldUntil > performance.now();
  }

  /** Gives the lease up (a graceful stop), so another instance need not wait for it to expire. */
  async release(): Promise<void> {
    this.heldUntil = 0;
    if (!this.ds.isInitialized) return;
    await inTransaction(this.ds, (em) => em.delete(JobLease, { name: this.name, holder: this.holder }));
  }

  private async takeOrRenew(em: EntityManager): Promise<boolean> {
    // SQLite serves one process (see inTransaction), so that process's clock is the only
    // one; its datetime text is what TypeORM writes there (UTC, "YYYY-MM-DD hh:mm:ss.sss").
    const sqlite = isSqlite(em.connection);
    const sqliteTime = (ms: number) => new Date(Date.now() + ms).toISOString().replace("T", " ").replace("Z", "");
    const nowSql = sqlite ? `'${sqliteTime(0)}'` : "UTC_TIMESTAMP(3)";
    const untilSql = sqlite ? "?" : "DATE_ADD(UTC_TIMESTAMP(3), INTERVAL ? MICROSECOND)";
    const until = sqlite ? sqliteTime(this.ttlMs) : this.ttlMs * 1000;
    // Ours, or free because its holder stopped renewing in time.
    await em.query(`UPDATE job_leases SET holder = ?, expiresAt = ${untilSql} WHERE name = ? AND (holder = ? OR expiresAt < ${nowSql})`, [
      this.holder,
      until,
      this.name,
      this.holder,
    ]);
    const [row]: Array<{ holder: string }> = await em.query("SELECT holder FROM job_leases WHERE name = ?", [this.name]);
    if (row) return row.holder === this.holder;
    try {
      // Nobody has held it yet: the first insert wins, a concurrent one meets a duplicate key.
      await em.query(`INSERT INTO job_leases (name, holder, expiresAt) VALUES (?, ?, ${untilSql})`, [this.name, this.holder, until]);
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }
}

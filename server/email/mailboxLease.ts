import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { QueryTypes, UniqueConstraintError, type Sequelize } from 'sequelize';

/**
 * The right to watch one mailbox, held by one process at a time: a row of `mail_leases` (mailbox key, holder,
 * expiry in epoch ms). The holder renews it well before it expires; a holder that dies stops renewing, and
 * after the expiry any other process takes it over. Taking and renewing are single conditional statements
 * (an UPDATE guarded by "mine or expired", an INSERT guarded by the unique key), so two processes can never
 * both win, on SQLite as on MariaDB. Times are compared as integers; the processes' clocks are assumed to
 * agree to well under the lease time (NTP).
 */
export class MailboxLease {
  /** Until when this process may act as the holder (its own clock); 0 when it does not hold the lease. */
  private validUntil = 0;

  constructor(
    private readonly sequelize: Sequelize,
    readonly mailboxKey: string,
    readonly leaseMs: number,
    /** Who holds it: host, pid and a random part, so two watchers in one process differ too. */
    readonly holder: string = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
  ) {}

  /** True while the lease is held and not past its expiry by this process's clock. */
  get held(): boolean {
    return Date.now() < this.validUntil;
  }

  /** Milliseconds left before the lease lapses unless renewed. */
  get remainingMs(): number {
    return Math.max(0, this.validUntil - Date.now());
  }

  /** Takes the lease if it is free, expired or already ours, and extends it; returns whether we hold it. */
  async acquire(): Promise<boolean> {
    const now = Date.now();
    const until = now + this.leaseMs;
    const changed = await this.write(
      `UPDATE mail_leases SET holder = :holder, expiresAt = :until, updatedAt = :now
       WHERE mailboxKey = :key AND (holder = :holder OR expiresAt < :now)`,
      { key: this.mailboxKey, holder: this.holder, until, now },
    );
    if (changed === 0) {
      try {
        await this.sequelize.query(
          `INSERT INTO mail_leases (mailboxKey, holder, expiresAt, createdAt, updatedAt) VALUES (:key, :holder, :until, :now, :now)`,
          { replacements: { key: this.mailboxKey, holder: this.holder, until, now }, type: QueryTypes.INSERT },
        );
      } catch (err) {
        // Someone else's row: held by them (or taken over by them a moment ago).
        if (!(err instanceof UniqueConstraintError)) throw err;
      }
    }
    // Read back rather than trust the affected-row count (drivers differ on "matched" vs "changed" rows).
    const [row] = await this.sequelize.query<{ holder: string; expiresAt: number | string }>(
      'SELECT holder, expiresAt FROM mail_leases WHERE mailboxKey = :key',
      { replacements: { key: this.mailboxKey }, type: QueryTypes.SELECT },
    );
    const ours = Boolean(row && row.holder === this.holder && Number(row.expiresAt) === until);
    // A small margin: stop acting a little before the expiry others see, so the two never overlap.
    this.validUntil = ours ? until - Math.min(1000, Math.floor(this.leaseMs / 10)) : 0;
    return ours;
  }

  /** Extends a lease we hold; false when it was lost (expired and taken over). */
  async renew(): Promise<boolean> {
    if (!this.validUntil) return false;
    return this.acquire();
  }

  /** Gives the lease up (a clean stop), so another process takes over at once rather than after the expiry. */
  async release(): Promise<void> {
    this.validUntil = 0;
    await this.write(`UPDATE mail_leases SET expiresAt = 0, updatedAt = :now WHERE mailboxKey = :key AND holder = :holder`, {
      key: this.mailboxKey,
      holder: this.holder,
      now: Date.now(),
    });
  }

  /** Forgets the lease without telling the database, as a process that dies would (tests). */
  abandon(): void {
    this.validUntil = 0;
  }

  /** Who holds a mailbox's lease now, if anyone (for /healthz and tests). */
  static async holderOf(sequelize: Sequelize, mailboxKey: string): Promise<{ holder: string; expiresAt: number } | null> {
    const [row] = await sequelize.query<{ holder: string; expiresAt: number | string }>(
      'SELECT holder, expiresAt FROM mail_leases WHERE mailboxKey = :key AND expiresAt >= :now',
      { replacements: { key: mailboxKey, now: Date.now() }, type: QueryTypes.SELECT },
    );
    return row ? { holder: row.holder, expiresAt: Number(row.expiresAt) } : null;
  }

  private async write(sql: string, replacements: Record<string, unknown>): Promise<number> {
    const changed: unknown = await this.sequelize.query(sql, { replacements, type: QueryTypes.BULKUPDATE });
    return Number(changed);
  }
}

import { createHash } from 'node:crypto';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import { QueryTypes } from 'sequelize';
import type { Database } from '../../db/connection';

/**
 * An express-rate-limit store in the database, so a limit holds across every web process (the memory store
 * counts per process). A window starts at a key's first hit and lasts windowMs. Addresses are kept only as
 * a hash; old rows are swept now and then.
 */
export class DbRateLimitStore implements Store {
  windowMs = 60_000;
  localKeys = false;

  constructor(private readonly db: Database, readonly prefix: string) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private rowKey(key: string): string {
    return `${this.prefix}:${createHash('sha256').update(key).digest('hex').slice(0, 48)}`;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const rateKey = this.rowKey(key);
    const now = Date.now();
    const w = this.windowMs;
    // Both dialects evaluate the CASEs against the row's old values (MySQL assigns left to right, and the
    // windowStart CASE reads only windowStart, which is assigned last).
    const upsert =
      this.db.dialect === 'sqlite'
        ? `INSERT INTO portal_rate_limits (rateKey, windowStart, hits) VALUES (:rateKey, :now, 1)
           ON CONFLICT(rateKey) DO UPDATE SET hits = CASE WHEN :now - windowStart < :w THEN hits + 1 ELSE 1 END,
           windowStart = CASE WHEN :now - windowStart < :w THEN windowStart ELSE :now END`
        : `INSERT INTO portal_rate_limits (rateKey, windowStart, hits) VALUES (:rateKey, :now, 1)
           ON DUPLICATE KEY UPDATE hits = IF(:now - windowStart < :w, hits + 1, 1), windowStart = IF(:now - windowStart < :w, windowStart, :now)`;
    const row = await this.db.transaction(async (transaction) => {
      await this.db.sequelize.query(upsert, { replacements: { rateKey, now, w }, transaction });
      const rows = await this.db.sequelize.query<{ hits: number; windowStart: number }>('SELECT hits, windowStart FROM portal_rate_limits WHERE rateKey = :rateKey', {
        replacements: { rateKey },
        transaction,
        type: QueryTypes.SELECT,
      });
      return rows[0]!;
    });
    if (Math.random() < 0.01) void this.sweep(now).catch(() => undefined);
    return { totalHits: Number(row.hits), resetTime: new Date(Number(row.windowStart) + w) };
  }

  async decrement(key: string): Promise<void> {
    await this.db.sequelize.query('UPDATE portal_rate_limits SET hits = hits - 1 WHERE rateKey = :rateKey AND hits > 0', { replacements: { rateKey: this.rowKey(key) } });
  }

  async resetKey(key: string): Promise<void> {
    await this.db.sequelize.query('DELETE FROM portal_rate_limits WHERE rateKey = :rateKey', { replacements: { rateKey: this.rowKey(key) } });
  }

  private async sweep(now: number): Promise<void> {
    await this.db.sequelize.query('DELETE FROM portal_rate_limits WHERE windowStart < :old', { replacements: { old: now - 24 * 60 * 60_000 } });
  }
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiKey } from '../../db/models';
import { buildFromRow, databaseOf, withRawSql } from '../../db/rawSql';
import { unauthenticated } from '../errors';

const KEY_PREFIX = 'gk_';

/** sha256 of a key: what the database keeps. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Creates a key for an integration; the plain key is returned once and never stored. */
export async function createApiKey(name: string): Promise<{ key: string; apiKey: ApiKey }> {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const apiKey = await ApiKey.create({ name, prefix: key.slice(0, 10), keyHash: hashKey(key), lastUsedAt: null, revokedAt: null });
  return { key, apiKey };
}

/** The key's record when the plain key is valid and not revoked: one raw read by hash (every API contact runs it). */
export async function findApiKey(key: string): Promise<ApiKey | null> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 100) return null;
  const digest = hashKey(key);
  const [found] = await withRawSql(databaseOf(ApiKey.sequelize!), (sql) => sql.all<Record<string, unknown>>('SELECT id, name, prefix, keyHash, lastUsedAt, revokedAt, createdAt, updatedAt FROM api_keys WHERE keyHash = ?', [digest]));
  const row = found ? buildFromRow(ApiKey, found) : null;
  // The lookup is by hash already; the constant-time compare keeps the check honest if the query changes.
  if (!row || row.revokedAt || !timingSafeEqual(Buffer.from(row.keyHash), Buffer.from(digest))) return null;
  // A write outside a transaction goes through the model: on SQLite it must take the one writer's turn.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    row.lastUsedAt = new Date();
    await row.save({ fields: ['lastUsedAt'] }).catch(() => undefined);
  }
  return row;
}

declare module 'express-serve-static-core' {
  interface Request {
    apiKey?: ApiKey;
  }
}

/** Requires `Authorization: Bearer <api key>`; sets req.apiKey. */
export const requireApiKey: RequestHandler = async (req, _res, next) => {
  const header = req.get('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw unauthenticated('Send the integration key as "Authorization: Bearer <key>"; an administrator creates keys with `npm run cli -- apikey:create`.');
  const apiKey = await findApiKey(match[1]!);
  if (!apiKey) throw unauthenticated('The API key is unknown or revoked; ask an administrator for a new one.');
  req.apiKey = apiKey;
  next();
};

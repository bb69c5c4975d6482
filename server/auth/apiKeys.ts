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

/**
 * How long a looked-up key is trusted before it is read again. Every API contact checks its key, and a read is a
 * round trip; a key revoked in another process (the CLI, another server) stops working within this time.
 */
export const API_KEY_CACHE_MS = 5_000;
const CACHE_MAX = 1_000;

/** Valid keys by hash, with when each was read; a Map keeps insertion order, so the oldest goes first when full. */
const cache = new Map<string, { row: ApiKey; readAt: number }>();

/** The key's record when the plain key is valid and not revoked: one raw read by hash, then trusted for API_KEY_CACHE_MS. */
export async function findApiKey(key: string): Promise<ApiKey | null> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 100) return null;
  const digest = hashKey(key);
  const cached = cache.get(digest);
  const row = cached && Date.now() - cached.readAt < API_KEY_CACHE_MS ? cached.row : await readKey(digest);
  if (!row) return null;
  // A write outside a transaction goes through the model: on SQLite it must take the one writer's turn.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    row.lastUsedAt = new Date();
    await row.save({ fields: ['lastUsedAt'] }).catch(() => undefined);
  }
  return row;
}

async function readKey(digest: string): Promise<ApiKey | null> {
  cache.delete(digest);
  const [found] = await withRawSql(databaseOf(ApiKey.sequelize!), (sql) => sql.all<Record<string, unknown>>('SELECT id, name, prefix, keyHash, lastUsedAt, revokedAt, createdAt, updatedAt FROM api_keys WHERE keyHash = ?', [digest]));
  const row = found ? buildFromRow(ApiKey, found) : null;
  // The lookup is by hash already; the constant-time compare keeps the check honest if the query changes.
  if (!row || row.revokedAt || !timingSafeEqual(Buffer.from(row.keyHash), Buffer.from(digest))) return null;
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(digest, { row, readAt: Date.now() });
  return row;
}

/** The keys, newest first (never the keys themselves: only their prefixes). */
export function listApiKeys(): Promise<ApiKey[]> {
  return ApiKey.findAll({ order: [['id', 'DESC']] });
}

/**
 * Revokes a key by its number (as `apikey:create` and `apikey:list` show it). It stops working at once in this
 * process and within API_KEY_CACHE_MS everywhere else. Answers the key, or null when there is none with that number.
 */
export async function revokeApiKey(id: number): Promise<ApiKey | null> {
  const apiKey = await ApiKey.findByPk(id);
  if (!apiKey) return null;
  if (!apiKey.revokedAt) await apiKey.update({ revokedAt: new Date() });
  cache.delete(apiKey.keyHash);
  return apiKey;
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

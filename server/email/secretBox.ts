import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Config } from '../config';

/**
 * Secrets at rest (mailbox passwords): AES-256-GCM with a random 96-bit IV per value, under a key derived
 * with HKDF-SHA256 from SECRETS_KEY (or SESSION_SECRET when it is not set). A stored value reads
 *
 *     enc:v1:<key id>:<iv>:<ciphertext>:<tag>        (base64url parts)
 *
 * `v1` names the format (cipher and derivation); the key id (8 hex digits of a hash of the derived key) says
 * which key wrote it, so a value written under SECRETS_KEY_PREVIOUS is recognised, read, and re-encrypted
 * under the current key — that is how a key is rotated.
 */
const PREFIX = 'enc:v1:';
const INFO = 'ghiseu secrets at rest v1';

/** One derived key and its public id. */
export interface SecretKey {
  id: string;
  key: Buffer;
}

/** The keys secrets are written and read with: the current one, and the one being rotated away from. */
export interface SecretKeys {
  current: SecretKey;
  previous: SecretKey | null;
}

/** Thrown when a stored secret cannot be read: a different key wrote it, or the value is damaged. */
export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/** Derives a 256-bit key (and its id) from a configured secret. */
export function deriveSecretKey(secret: string): SecretKey {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('ghiseu'), Buffer.from(INFO), 32));
  const id = createHash('sha256').update('key-id:').update(key).digest('hex').slice(0, 8);
  return { id, key };
}

/** The keys of a configuration: SECRETS_KEY (else SESSION_SECRET), and SECRETS_KEY_PREVIOUS when set. */
export function secretKeys(config: Pick<Config, 'SECRETS_KEY' | 'SECRETS_KEY_PREVIOUS' | 'SESSION_SECRET'>): SecretKeys {
  return {
    current: deriveSecretKey(config.SECRETS_KEY ?? config.SESSION_SECRET),
    previous: config.SECRETS_KEY_PREVIOUS ? deriveSecretKey(config.SECRETS_KEY_PREVIOUS) : null,
  };
}

/** True when a stored value is in the encrypted form (anything else is a plain-text row from before). */
export function isEncrypted(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

/** Encrypts a secret under the current key; every call uses a fresh IV, so equal secrets differ at rest. */
export function encryptSecret(plain: string, keys: SecretKeys): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.current.key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `${PREFIX}${keys.current.id}:${iv.toString('base64url')}:${body.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}`;
}

/**
 * Reads a stored secret. `rewrite` is true when the value should be stored again under the current key (it
 * was plain text, or written under the previous key). Throws SecretKeyError naming what to do.
 */
export function decryptSecret(stored: string, keys: SecretKeys): { plain: string; rewrite: boolean } {
  if (!isEncrypted(stored)) return { plain: stored, rewrite: true };
  const parts = stored.slice(PREFIX.length).split(':');
  if (parts.length !== 4) throw new SecretKeyError('The stored secret is not in the enc:v1 format (damaged value); enter the password again.');
  const [keyId, iv, body, tag] = parts as [string, string, string, string];
  const key = keyId === keys.current.id ? keys.current : keyId === keys.previous?.id ? keys.previous : null;
  if (!key) {
    throw new SecretKeyError(
      `The stored secret was encrypted with another key (key id ${keyId}; the current key's id is ${keys.current.id}). ` +
        'Set SECRETS_KEY to the key it was written with, or set that key as SECRETS_KEY_PREVIOUS to rotate to the new one, or enter the password again.',
    );
  }
  try {
    // A fixed tag length: GCM would otherwise accept a truncated tag.
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    return { plain, rewrite: key !== keys.current };
  } catch {
    throw new SecretKeyError(`The stored secret (key id ${keyId}) failed its integrity check: the value is damaged; enter the password again.`);
  }
}

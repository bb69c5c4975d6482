import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** Log levels pino understands. */
const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

function urlWithProtocols(protocols: string[], example: string) {
  return z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      { message: `expected a URL like ${example}` },
    );
}

const DatabaseUrl = z
  .string()
  .trim()
  .refine((v) => /^sqlite:/.test(v) || /^(mysql|mariadb):\/\/[^/]+\/[^/?]+/.test(v), {
    message: 'expected sqlite:<file> or mysql://user:pass@host:port/database',
  });

const ImapUrls = z
  .string()
  .trim()
  .transform((v) => v.split(/\s+/).filter(Boolean))
  .pipe(z.array(urlWithProtocols(['imap:', 'imaps:'], 'imaps://user:pass@host:993/INBOX')));

/**
 * The one configuration schema (DESIGN.md "Contracts"). Every variable is read here and nowhere else.
 * Parsed synchronously at boot; a bad value stops the process with the variable's name.
 */
export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: urlWithProtocols(['http:', 'https:'], 'https://ghiseu.primarie.ro').optional(),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  DATABASE_URL: DatabaseUrl.optional(),
  REDIS_URL: urlWithProtocols(['redis:', 'rediss:'], 'redis://127.0.0.1:6379').optional(),
  SESSION_SECRET: z.string().min(32, 'expected at least 32 characters').optional(),
  /** Encrypts secrets stored in the database (mailbox passwords); SESSION_SECRET when unset. */
  SECRETS_KEY: z.string().min(32, 'expected at least 32 characters').optional(),
  /** The key secrets were encrypted with before SECRETS_KEY changed: read, then re-encrypted with the new one. */
  SECRETS_KEY_PREVIOUS: z.string().min(32, 'expected at least 32 characters').optional(),
  LOG_LEVEL: LogLevel.default('info'),
  TRUST_PROXY: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  IMAP_URL: ImapUrls.optional(),
  SMTP_URL: urlWithProtocols(['smtp:', 'smtps:'], 'smtps://user:pass@mail.primarie.ro:465').optional(),
  MAIL_FROM: z.string().trim().min(3).optional(),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'expected AC followed by 32 hex digits').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16, 'expected the account auth token').optional(),
  TWILIO_PHONE_NUMBER: z.string().regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 number like +40256123456').optional(),
  LETTERS_INBOX_DIR: optionalString,
  /** OCR threads for scanned letters per worker process (each uses about one core and 200 MB). */
  LETTERS_OCR_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /** Letterhead of printed replies, lines separated by |: the institution first, then address and contacts. */
  LETTER_LETTERHEAD: z.string().trim().min(3).default('Primăria|Compartimentul Relații cu Publicul'),
  /** Signature block of printed replies, lines separated by | (function, then name). */
  LETTER_SIGNATURE: z.string().trim().min(3).default('Compartimentul Relații cu Publicul'),
  /** The portal map's tile server, a Leaflet URL template; self-host it or use a provider whose terms allow it. */
  MAP_TILE_URL: z.string().trim().regex(/^(https?:\/\/|\/).*\{z\}.*\{x\}.*\{y\}/, 'expected a tile URL template like https://tile.openstreetmap.org/{z}/{x}/{y}.png').default('https://tile.openstreetmap.org/{z}/{x}/{y}.png'),
  /** Where the portal maps open: "lat,lng,zoom" (the city centre). */
  MAP_CENTER: z.string().trim().regex(/^-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?,\d{1,2}$/, 'expected "lat,lng,zoom" like 46.1866,21.3123,13').default('46.1866,21.3123,13'),
  /** Seconds an agent has to accept or decline a pushed offer before it goes to the next agent. */
  ROUTING_OFFER_TIMEOUT_SECONDS: z.coerce.number().int().min(5, 'expected at least 5 seconds').max(600).default(30),
  /** Contacts one integration key may post to /api/v1/contacts per minute; more get 429 with Retry-After. */
  API_CONTACTS_PER_MINUTE: z.coerce.number().int().min(1, 'expected at least 1 a minute').max(1_000_000).default(1200),
  /** Who gets a waiting case first among eligible agents: the longest idle (default) or the least occupied. */
  ROUTING_STRATEGY: z.enum(['longest_idle', 'least_occupied']).default('longest_idle'),
  /** Twilio's REST base URL; tests and the simulator point it at a local fake. */
  TWILIO_API_URL: urlWithProtocols(['http:', 'https:'], 'https://api.twilio.com').default('https://api.twilio.com'),
  /** API key and secret that sign the agents' softphone access tokens, and the TwiML app their calls use. */
  TWILIO_API_KEY_SID: z.string().regex(/^SK[0-9a-fA-F]{32}$/, 'expected SK followed by 32 hex digits').optional(),
  TWILIO_API_KEY_SECRET: z.string().min(16, 'expected the API key secret').optional(),
  TWILIO_TWIML_APP_SID: z.string().regex(/^AP[0-9a-fA-F]{32}$/, 'expected AP followed by 32 hex digits').optional(),
  /** A call from a number whose citizen has a voice case still open from this many hours back joins that case (0: never). */
  PHONE_REPEAT_CALL_WINDOW_HOURS: z.coerce.number().int().min(0, 'expected 0 (off) or more hours').max(720, 'expected at most 720 hours (30 days)').default(24),
});

type RawConfig = z.infer<typeof ConfigSchema>;

/** The parsed configuration with defaults resolved. */
export interface Config extends Omit<RawConfig, 'DATABASE_URL' | 'SESSION_SECRET' | 'PUBLIC_URL' | 'DATA_DIR'> {
  DATA_DIR: string;
  DATABASE_URL: string;
  SESSION_SECRET: string;
  PUBLIC_URL: string;
  /** true when the database is the embedded SQLite file. */
  embedded: boolean;
}

/** Thrown when the environment does not describe a runnable configuration. */
export class ConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SECRET_FILE = 'session-secret';

function readOrCreateSecret(dataDir: string): string {
  const file = path.join(dataDir, SECRET_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  // wx: two processes starting at once must not overwrite each other's secret.
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    return readFileSync(file, 'utf8').trim();
  }
}

/** Parses the environment once. Throws ConfigError naming each bad variable and what it expects. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      const shown = env[name] === undefined ? 'missing' : `got ${JSON.stringify(redact(name, env[name] ?? ''))}`;
      return `${name}: ${issue.message} (${shown})`;
    });
    throw new ConfigError(issues);
  }
  const raw = result.data;
  const issues: string[] = [];
  if (raw.TWILIO_ACCOUNT_SID && !raw.TWILIO_AUTH_TOKEN) issues.push('TWILIO_AUTH_TOKEN: required when TWILIO_ACCOUNT_SID is set (missing)');
  if (raw.SMTP_URL && !raw.MAIL_FROM) issues.push('MAIL_FROM: required when SMTP_URL is set, e.g. "Primăria <registratura@primarie.ro>" (missing)');
  if (issues.length) throw new ConfigError(issues);

  const dataDir = path.resolve(raw.DATA_DIR);
  const databaseUrl = raw.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'ghiseu.sqlite')}`;
  return {
    ...raw,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    SESSION_SECRET: raw.SESSION_SECRET ?? readOrCreateSecret(dataDir),
    PUBLIC_URL: (raw.PUBLIC_URL ?? `http://localhost:${raw.PORT}`).replace(/\/+$/, ''),
    embedded: databaseUrl.startsWith('sqlite:'),
  };
}

function redact(name: string, value: string): string {
  if (/SECRET|TOKEN|PASS/.test(name)) return '***';
  return value.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}

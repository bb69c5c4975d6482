import type { Config } from '../config';
import { Mailbox } from '../../db/models';
import { logger } from '../log';
import { decryptSecret, encryptSecret, secretKeys, type SecretKeys } from './secretBox';

const log = logger('mailboxes');

/** One mailbox the intake watches, from IMAP_URL or the mailboxes table. */
export interface MailboxSpec {
  /** `user@host:port/folder`: names the cursor and the quarantine rows; never holds the password. */
  key: string;
  name: string;
  host: string;
  port: number;
  secure: boolean;
  tlsInsecure: boolean;
  user: string;
  pass: string;
  folder: string;
  processedFolder: string | null;
  source: 'env' | 'db';
}

function mailboxKey(user: string, host: string, port: number, folder: string): string {
  return `${user}@${host}:${port}/${folder}`.slice(0, 255);
}

/**
 * A mailbox from an `imap[s]://user:pass@host:port/Folder` URL. Query options: `processed=Folder` moves
 * ingested mail there instead of flagging it \Seen; `tls=insecure` accepts a self-signed certificate.
 */
export function mailboxFromUrl(url: string): MailboxSpec {
  const u = new URL(url);
  const secure = u.protocol === 'imaps:';
  const port = u.port ? Number(u.port) : secure ? 993 : 143;
  const user = decodeURIComponent(u.username);
  const folder = decodeURIComponent(u.pathname.replace(/^\/+/, '')) || 'INBOX';
  return {
    key: mailboxKey(user, u.hostname, port, folder),
    name: `${user}/${folder}`,
    host: u.hostname,
    port,
    secure,
    tlsInsecure: u.searchParams.get('tls') === 'insecure',
    user,
    pass: decodeURIComponent(u.password),
    folder,
    processedFolder: u.searchParams.get('processed') || null,
    source: 'env',
  };
}

/**
 * Every mailbox to watch: IMAP_URL's, then the active rows of the mailboxes table (a key seen twice is watched
 * once). Passwords are decrypted here; a plain-text row from before encryption (or one written under
 * SECRETS_KEY_PREVIOUS) is encrypted under the current key on this first read. A row whose password cannot be
 * read is left out with an error in the log naming the mailbox (never the value).
 */
export async function loadMailboxes(config: Config): Promise<MailboxSpec[]> {
  const specs = (config.IMAP_URL ?? []).map(mailboxFromUrl);
  const keys = secretKeys(config);
  const rows = await Mailbox.findAll({ where: { active: true }, order: [['id', 'ASC']] });
  for (const m of rows) {
    const key = mailboxKey(m.username, m.host, m.port, m.folder);
    if (specs.some((s) => s.key === key)) continue;
    let pass: string;
    try {
      pass = await readMailboxPassword(m, keys);
    } catch (err) {
      log.error({ mailboxId: m.id, mailbox: m.name, err: (err as Error).message }, 'mailbox not watched: its stored password cannot be read');
      continue;
    }
    specs.push({
      key, name: m.name, host: m.host, port: m.port, secure: m.secure, tlsInsecure: m.tlsInsecure, user: m.username, pass,
      folder: m.folder, processedFolder: m.processedFolder, source: 'db',
    });
  }
  return specs;
}

/**
 * The plain password of a mailbox row. Re-encrypts the stored value when it is plain text or under the previous
 * key; the write is conditional on the value read, so two processes doing it at once both leave a good value.
 */
export async function readMailboxPassword(m: Mailbox, keys: SecretKeys): Promise<string> {
  const { plain, rewrite } = decryptSecret(m.password, keys);
  if (rewrite) {
    const stored = encryptSecret(plain, keys);
    const [changed] = await Mailbox.update({ password: stored }, { where: { id: m.id, password: m.password } });
    if (changed) m.password = stored;
  }
  return plain;
}

/** What the mailboxes table stores for a password an administrator entered. */
export function storedMailboxPassword(plain: string, config: Config): string {
  return encryptSecret(plain, secretKeys(config));
}

/** The domains our own Message-IDs use (see createOutboundMessage): MAIL_FROM's, else PUBLIC_URL's host. */
export function ownMessageIdDomains(config: Config): string[] {
  const m = /@([^>\s]+)/.exec(config.MAIL_FROM ?? '');
  return [m ? m[1]!.toLowerCase() : new URL(config.PUBLIC_URL).hostname.toLowerCase()];
}

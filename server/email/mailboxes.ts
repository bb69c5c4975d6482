import type { Config } from '../config';
import { Mailbox } from '../../db/models';

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

/** Every mailbox to watch: IMAP_URL's, then the active rows of the mailboxes table (a key seen twice is watched once). */
export async function loadMailboxes(config: Config): Promise<MailboxSpec[]> {
  const specs = (config.IMAP_URL ?? []).map(mailboxFromUrl);
  const rows = await Mailbox.findAll({ where: { active: true }, order: [['id', 'ASC']] });
  for (const m of rows) {
    const key = mailboxKey(m.username, m.host, m.port, m.folder);
    if (specs.some((s) => s.key === key)) continue;
    specs.push({
      key, name: m.name, host: m.host, port: m.port, secure: m.secure, tlsInsecure: m.tlsInsecure, user: m.username, pass: m.password,
      folder: m.folder, processedFolder: m.processedFolder, source: 'db',
    });
  }
  return specs;
}

/** The domains our own Message-IDs use (see createOutboundMessage): MAIL_FROM's, else PUBLIC_URL's host. */
export function ownMessageIdDomains(config: Config): string[] {
  const m = /@([^>\s]+)/.exec(config.MAIL_FROM ?? '');
  return [m ? m[1]!.toLowerCase() : new URL(config.PUBLIC_URL).hostname.toLowerCase()];
}

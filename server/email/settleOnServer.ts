import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { Op } from 'sequelize';
import { MailIntake } from '../../db/models';
import { logger } from '../log';
import type { MailboxSpec } from './mailboxes';

const log = logger('mailbox');

/** An imapflow client for a mailbox (not yet connected). Never logs: the protocol trace holds the password. */
export function imapClientFor(spec: MailboxSpec, extra: Partial<ImapFlowOptions> = {}): ImapFlow {
  return new ImapFlow({
    host: spec.host,
    port: spec.port,
    secure: spec.secure,
    auth: { user: spec.user, pass: spec.pass },
    logger: false,
    tls: { rejectUnauthorized: !spec.tlsInsecure },
    ...extra,
  });
}

/**
 * Tells the server that messages are safely ingested: `\Seen`, or a move to the processed folder when the
 * mailbox has one. Call only after the ingest committed. Nothing is ever deleted.
 */
export async function markIngested(client: ImapFlow, spec: MailboxSpec, uids: number[]): Promise<void> {
  if (!uids.length) return;
  if (spec.processedFolder) {
    await client.mailboxCreate(spec.processedFolder).catch(() => undefined);
    await client.messageMove(uids.join(','), spec.processedFolder, { uid: true });
  } else {
    await client.messageFlagsAdd(uids.join(','), ['\\Seen'], { uid: true });
  }
}

/**
 * Applies the flags owed for messages an operator retried from the quarantine (`flagPending`), on a client
 * with the mailbox open. Rows of an older UIDVALIDITY name UIDs that no longer exist: the rescan that follows
 * a renumbering finds those messages by Message-ID and flags them itself, so their debt is dropped.
 */
export async function applyPendingFlags(client: ImapFlow, spec: MailboxSpec): Promise<number> {
  const box = client.mailbox;
  if (!box) throw new Error('no mailbox selected');
  const uidValidity = String(box.uidValidity);
  const rows = await MailIntake.findAll({ where: { mailboxKey: spec.key, flagPending: true }, attributes: ['id', 'uid', 'uidValidity'], order: [['id', 'ASC']], limit: 500 });
  if (!rows.length) return 0;
  const current = rows.filter((r) => r.uidValidity === uidValidity);
  await markIngested(client, spec, current.map((r) => r.uid));
  await MailIntake.update({ flagPending: false }, { where: { id: { [Op.in]: rows.map((r) => r.id) }, flagPending: true } });
  if (current.length) log.info({ mailbox: spec.key, count: current.length }, 'flags applied for mail retried from the quarantine');
  return current.length;
}

/**
 * Tries at once to apply a retried message's flag over a short connection of its own. Returns false when the
 * mailbox is unreachable (or unknown here): the row stays `flagPending`, and the watcher applies it on its
 * next connection.
 */
export async function applyPendingFlagsNow(spec: MailboxSpec | undefined): Promise<boolean> {
  if (!spec) return false;
  const client = imapClientFor(spec, { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.mailboxOpen(spec.folder);
    await applyPendingFlags(client, spec);
    return true;
  } catch (err) {
    log.warn({ mailbox: spec.key, err: (err as Error)?.message }, 'mailbox unreachable: the flag is applied on the next connection');
    return false;
  } finally {
    if (client.usable) await client.logout().catch(() => undefined);
    client.close();
  }
}

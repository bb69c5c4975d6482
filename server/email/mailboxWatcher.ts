import { ImapFlow, type FetchMessageObject } from 'imapflow';
import { Op } from 'sequelize';
import { normaliseMessageId } from '../../channels/email/messageId';
import { MailCursor, MailIntake, Message } from '../../db/models';
import type { AppContext } from '../context';
import { logger } from '../log';
import type { EmailIntake, FetchedMessage } from './intake';
import type { MailboxSpec } from './mailboxes';

const log = logger('mailbox');

export interface WatcherOptions {
  /** Polling fallback: a catch-up this often even without IDLE news (default 60 s). */
  pollMs?: number;
  /** Reconnect backoff: first delay and ceiling (defaults 1 s and 60 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Messages per fetch/ingest batch (default 100) and their byte ceiling (default 32 MB). */
  batchSize?: number;
  batchBytes?: number;
}

/** What /healthz shows for a mailbox. */
export interface MailboxHealth {
  ok: boolean;
  connected: boolean;
  idling: boolean;
  lastFetchAt: string | null;
  waiting: number;
  quarantined: number;
  lastError: string | null;
  reconnects: number;
}

/**
 * Watches one mailbox: connects with imapflow, catches up from the stored cursor (UIDVALIDITY:UID), then waits
 * in IDLE for new mail, polling as a fallback; on any connection loss it reconnects with exponential backoff
 * and catches up again. Messages are flagged \Seen (or moved) only after their ingest committed; nothing is
 * ever deleted.
 */
export class MailboxWatcher {
  private client: ImapFlow | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private kicked = false;
  private readonly opts: Required<WatcherOptions>;
  private state = { connected: false, idling: false, lastFetchAt: null as Date | null, waiting: 0, lastError: null as string | null, reconnects: 0 };

  constructor(
    private readonly ctx: AppContext,
    readonly spec: MailboxSpec,
    private readonly intake: EmailIntake,
    opts: WatcherOptions = {},
  ) {
    this.opts = { pollMs: 60_000, backoffMs: 1000, maxBackoffMs: 60_000, batchSize: 100, batchBytes: 32 * 1024 * 1024, ...opts };
  }

  /** Starts watching in the background. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops watching and logs out. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const c = this.client;
    if (c) await Promise.race([c.logout().catch(() => c.close()), new Promise((r) => setTimeout(r, 2000))]).catch(() => undefined);
    c?.close();
    await this.loop?.catch(() => undefined);
  }

  /** The mailbox's section of /healthz. */
  async health(): Promise<MailboxHealth & Record<string, unknown>> {
    const quarantined = await MailIntake.count({ where: { mailboxKey: this.spec.key, status: 'quarantined' } });
    return {
      ok: this.state.connected,
      connected: this.state.connected,
      idling: this.state.idling,
      lastFetchAt: this.state.lastFetchAt?.toISOString() ?? null,
      waiting: this.state.waiting,
      quarantined,
      lastError: this.state.lastError,
      reconnects: this.state.reconnects,
    };
  }

  private async run(): Promise<void> {
    let delay = this.opts.backoffMs;
    while (!this.stopped) {
      const started = Date.now();
      try {
        await this.session();
      } catch (err) {
        this.state.lastError = (err as Error)?.message ?? String(err);
        if (!this.stopped) log.warn({ mailbox: this.spec.key, err: this.state.lastError }, 'mailbox connection lost');
      } finally {
        this.state.connected = false;
        this.state.idling = false;
        this.client?.close();
        this.client = null;
      }
      if (this.stopped) break;
      // A session that lived a while resets the backoff; a quick failure doubles it (with jitter).
      if (Date.now() - started > 30_000) delay = this.opts.backoffMs;
      await this.sleep(delay * (0.75 + Math.random() * 0.5));
      delay = Math.min(delay * 2, this.opts.maxBackoffMs);
      this.state.reconnects++;
    }
  }

  private async session(): Promise<void> {
    const s = this.spec;
    const client = new ImapFlow({
      host: s.host,
      port: s.port,
      secure: s.secure,
      auth: { user: s.user, pass: s.pass },
      logger: false,
      tls: { rejectUnauthorized: !s.tlsInsecure },
      maxIdleTime: Math.min(this.opts.pollMs, 5 * 60_000),
    });
    this.client = client;
    let closed = false;
    client.on('error', (err: Error) => {
      this.state.lastError = err.message;
    });
    client.on('close', () => {
      closed = true;
      this.kick();
    });
    client.on('exists', () => this.kick());
    await client.connect();
    await client.mailboxOpen(s.folder);
    this.state.connected = true;
    this.state.lastError = null;
    log.info({ mailbox: s.key }, 'mailbox connected');
    while (!this.stopped && !closed) {
      await this.catchUp(client);
      if (this.stopped || closed) break;
      // IDLE until the server announces mail ('exists' wakes us) or the poll interval passes. The next
      // command (the catch-up's FETCH) ends the IDLE; servers without IDLE get imapflow's NOOP polling.
      this.state.idling = true;
      void client.idle().catch(() => undefined);
      await this.sleep(this.opts.pollMs);
      this.state.idling = false;
    }
    if (closed && !this.stopped) throw new Error(this.state.lastError ?? 'connection closed');
  }

  /** Fetches and ingests everything after the cursor, batch by batch, then flags what was ingested. */
  private async catchUp(client: ImapFlow): Promise<void> {
    const box = client.mailbox;
    if (!box) throw new Error('no mailbox selected');
    const uidValidity = String(box.uidValidity);
    let cursor: MailCursor | null = await MailCursor.findOne({ where: { mailboxKey: this.spec.key } });
    // A new mailbox starts with its unread mail; a changed UIDVALIDITY rescans everything (dedupe decides).
    let skipSeen = false;
    if (!cursor) {
      cursor = await MailCursor.create({ mailboxKey: this.spec.key, uidValidity, lastUid: 0, lastFetchAt: null });
      skipSeen = true;
    } else if (cursor.uidValidity !== uidValidity) {
      log.warn({ mailbox: this.spec.key, from: cursor.uidValidity, to: uidValidity }, 'UIDVALIDITY changed: rescanning the mailbox');
      cursor.uidValidity = uidValidity;
      cursor.lastUid = 0;
      await cursor.save();
    }

    for (;;) {
      const from: number = cursor.lastUid + 1;
      const list: FetchMessageObject[] = (await client.fetchAll(`${from}:*`, { uid: true, envelope: true, flags: true, size: true }, { uid: true }))
        .filter((m) => m.uid >= from)
        .sort((a, b) => a.uid - b.uid);
      this.state.waiting = list.length;
      this.state.lastFetchAt = new Date();
      if (!list.length) {
        cursor.lastFetchAt = this.state.lastFetchAt;
        await cursor.save();
        return;
      }
      // One batch: up to batchSize messages and batchBytes (at least one message).
      const batch: FetchMessageObject[] = [];
      let bytes = 0;
      for (const m of list) {
        if (batch.length && (batch.length >= this.opts.batchSize || bytes + (m.size ?? 0) > this.opts.batchBytes)) break;
        batch.push(m);
        bytes += m.size ?? 0;
      }

      // Known Message-IDs (ingested before, or delivered to another of our mailboxes) need no download.
      const ids = new Map<number, string>();
      for (const m of batch) {
        const id = normaliseMessageId(m.envelope?.messageId ?? null);
        if (id) ids.set(m.uid, id);
      }
      const known = new Set(
        ids.size ? (await Message.findAll({ where: { channel: 'email', externalId: { [Op.in]: [...new Set(ids.values())] } }, attributes: ['externalId'] })).map((r) => r.externalId) : [],
      );
      const settled: number[] = [];
      const skipped: number[] = [];
      const toFetch: number[] = [];
      for (const m of batch) {
        if (known.has(ids.get(m.uid) ?? '')) settled.push(m.uid);
        else if (skipSeen && m.flags?.has('\\Seen')) skipped.push(m.uid);
        else toFetch.push(m.uid);
      }
      const fetched: FetchedMessage[] = toFetch.length
        ? (await client.fetchAll(toFetch.join(','), { uid: true, source: true }, { uid: true })).filter((m) => m.source).map((m) => ({ uid: m.uid, raw: m.source! }))
        : [];
      const outcome = fetched.length ? await this.intake.processBatch(this.spec.key, uidValidity, fetched) : { settled: [], quarantined: [], failing: [] };
      settled.push(...outcome.settled);

      // Only now, with the ingest committed, does the server learn we have the messages.
      if (settled.length) {
        if (this.spec.processedFolder) {
          await client.mailboxCreate(this.spec.processedFolder).catch(() => undefined);
          await client.messageMove(settled.join(','), this.spec.processedFolder, { uid: true });
        } else {
          await client.messageFlagsAdd(settled.join(','), ['\\Seen'], { uid: true });
        }
      }

      const firstFailing = outcome.failing.length ? Math.min(...outcome.failing) : Infinity;
      const lastOfBatch = batch[batch.length - 1]!.uid;
      const through = firstFailing === Infinity ? lastOfBatch : Math.max(cursor.lastUid, ...batch.map((m) => m.uid).filter((u) => u < firstFailing));
      cursor.lastUid = through;
      cursor.lastFetchAt = new Date();
      await cursor.save();
      this.state.waiting = list.length - batch.filter((m) => m.uid <= through).length;
      if (firstFailing !== Infinity) {
        // Try the failing message again after a pause rather than spinning on it.
        this.kicked = false;
        await this.sleep(Math.min(this.opts.pollMs, 5000));
        return;
      }
    }
  }

  private kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.kicked || this.stopped) {
      this.kicked = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        this.kicked = false;
        done();
      };
    });
  }
}

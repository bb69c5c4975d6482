import type { ImapFlow, FetchMessageObject } from 'imapflow';
import { Op } from 'sequelize';
import { normaliseMessageId } from '../../channels/email/messageId';
import { MailCursor, MailIntake, Message } from '../../db/models';
import type { AppContext } from '../context';
import { logger } from '../log';
import type { EmailIntake, FetchedMessage, PreparedBatch } from './intake';
import { MailboxLease } from './mailboxLease';
import type { MailboxSpec } from './mailboxes';
import { applyPendingFlags, imapClientFor, markIngested } from './settleOnServer';

/** A batch downloaded and prepared: UIDs already settled (known Message-IDs) and the rest stored and parsed. */
interface PreparedDownload {
  settled: number[];
  prepared: PreparedBatch | null;
}

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
  /**
   * The mailbox's lease (default 30 s): only its holder connects and fetches. The holder renews it every
   * third of that; another process takes over within about one lease time after the holder dies.
   */
  leaseMs?: number;
}

/** What /healthz shows for a mailbox. */
export interface MailboxHealth {
  ok: boolean;
  /** This process holds the mailbox's lease and watches it; false: another process does (standby). */
  leader: boolean;
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
 * ever deleted. Across processes only the holder of the mailbox's lease (mailboxLease.ts) connects; the others
 * stand by and try to take the lease over every third of its time.
 */
export class MailboxWatcher {
  private client: ImapFlow | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private kicked = false;
  private renewTimer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;
  private readonly opts: Required<WatcherOptions>;
  readonly lease: MailboxLease;
  private state = { leader: false, connected: false, idling: false, lastFetchAt: null as Date | null, waiting: 0, lastError: null as string | null, reconnects: 0 };

  constructor(
    private readonly ctx: AppContext,
    readonly spec: MailboxSpec,
    private readonly intake: EmailIntake,
    opts: WatcherOptions = {},
  ) {
    this.opts = { pollMs: 60_000, backoffMs: 1000, maxBackoffMs: 60_000, batchSize: 100, batchBytes: 32 * 1024 * 1024, leaseMs: 30_000, ...opts };
    this.lease = new MailboxLease(ctx.db.sequelize, spec.key, this.opts.leaseMs);
  }

  /** Starts watching in the background. */
  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Stops watching: logs out and gives the lease up, so another process takes over at once. `release: false`
   * keeps the lease row as it is, as a process that dies would (the others wait for it to expire).
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    this.wake?.();
    const c = this.client;
    if (c) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)));
      await Promise.race([c.logout().catch(() => c.close()), grace]).catch(() => undefined);
      clearTimeout(timer);
      c.close();
    }
    await this.loop?.catch(() => undefined);
    // A renewal in flight must not extend the lease after it was given up.
    await this.renewing;
    if (opts.release === false) this.lease.abandon();
    else await this.lease.release().catch((err: unknown) => log.warn({ mailbox: this.spec.key, err: (err as Error)?.message }, 'could not release the mailbox lease'));
  }

  /** The mailbox's section of /healthz. */
  async health(): Promise<MailboxHealth & Record<string, unknown>> {
    const quarantined = await MailIntake.count({ where: { mailboxKey: this.spec.key, status: 'quarantined' } });
    return {
      // A standby process is healthy: another one holds the lease and watches.
      ok: this.state.connected || !this.state.leader,
      leader: this.state.leader,
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
      if (!(await this.holdLease())) {
        // Standby: another process watches this mailbox. Try again after a third of the lease time.
        await this.sleep(Math.max(100, Math.floor(this.opts.leaseMs / 3)));
        continue;
      }
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
      if (!this.lease.held) continue;
      // A session that lived a while resets the backoff; a quick failure doubles it (with jitter).
      if (Date.now() - started > 30_000) delay = this.opts.backoffMs;
      await this.sleep(delay * (0.75 + Math.random() * 0.5));
      delay = Math.min(delay * 2, this.opts.maxBackoffMs);
      this.state.reconnects++;
    }
  }

  /**
   * Takes (or keeps) the lease; while held, a timer renews it every third of its time, and a lease that could
   * not be renewed before it lapsed ends the IMAP session at once, so two processes never fetch together.
   */
  private async holdLease(): Promise<boolean> {
    let held = false;
    try {
      held = this.lease.held || (await this.lease.acquire());
    } catch (err) {
      log.warn({ mailbox: this.spec.key, err: (err as Error)?.message }, 'could not take the mailbox lease');
    }
    if (held && !this.state.leader) log.info({ mailbox: this.spec.key, holder: this.lease.holder }, 'mailbox lease taken');
    this.state.leader = held;
    if (held && !this.renewTimer && !this.stopped) {
      this.renewTimer = setInterval(() => {
        this.renewing ??= this.renewLease().finally(() => (this.renewing = null));
      }, Math.max(50, Math.floor(this.opts.leaseMs / 3)));
    }
    return held;
  }

  private async renewLease(): Promise<void> {
    try {
      await this.lease.renew();
    } catch (err) {
      log.warn({ mailbox: this.spec.key, err: (err as Error)?.message }, 'could not renew the mailbox lease');
    }
    if (this.lease.held || this.stopped) return;
    log.warn({ mailbox: this.spec.key }, 'mailbox lease lost: standing by');
    this.state.leader = false;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    this.client?.close();
    this.kick();
  }

  /** Throws when the lease lapsed (the session ends); renews it first when half of it is used up. */
  private async assertLease(): Promise<void> {
    if (this.lease.held && this.lease.remainingMs < this.opts.leaseMs / 2) await this.lease.renew();
    if (!this.lease.held) throw new Error('mailbox lease lost');
  }

  private async session(): Promise<void> {
    const s = this.spec;
    const client = imapClientFor(s, { maxIdleTime: Math.min(this.opts.pollMs, 5 * 60_000) });
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
      await this.assertLease();
      // Flags owed for mail an operator retried from the quarantine while we could not reach the server.
      await applyPendingFlags(client, s);
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
      await this.assertLease();
      const from: number = cursor.lastUid + 1;
      // One listing per pass (not per batch: a 2,000-message backlog would be listed twenty times).
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
      const batches = this.splitBatches(list);
      // The next batch is downloaded, stored and parsed while this one is written: preparing writes nothing
      // to the database and moves no cursor, so a crash in between loses nothing.
      let next: Promise<PreparedDownload> | null = this.prepareDownload(client, batches[0]!, skipSeen);
      for (let b = 0; b < batches.length; b++) {
        const batch = batches[b]!;
        const ready = await next!;
        next = b + 1 < batches.length ? this.prepareDownload(client, batches[b + 1]!, skipSeen) : null;
        // Settle a rejected prefetch instead of leaving it unhandled when this pass ends early.
        next?.catch(() => undefined);
        const { settled } = ready;
        const outcome = ready.prepared ? await this.intake.writeBatch(this.spec.key, uidValidity, ready.prepared) : { settled: [], quarantined: [], failing: [] };
        settled.push(...outcome.settled);

        // Only now, with the ingest committed, does the server learn we have the messages.
        await markIngested(client, this.spec, settled);

        const firstFailing = outcome.failing.length ? Math.min(...outcome.failing) : Infinity;
        const lastOfBatch = batch[batch.length - 1]!.uid;
        const through = firstFailing === Infinity ? lastOfBatch : Math.max(cursor.lastUid, ...batch.map((m) => m.uid).filter((u) => u < firstFailing));
        cursor.lastUid = through;
        cursor.lastFetchAt = new Date();
        // A holder that lost its lease mid-batch must not move the cursor under the new holder.
        await this.assertLease();
        await cursor.save();
        this.state.waiting = list.filter((m) => m.uid > through).length;
        if (firstFailing !== Infinity) {
          await next?.catch(() => undefined);
          // Try the failing message again after a pause rather than spinning on it.
          this.kicked = false;
          await this.sleep(Math.min(this.opts.pollMs, 5000));
          return;
        }
      }
    }
  }

  /** Batches of up to batchSize messages and batchBytes (at least one message each), in UID order. */
  private splitBatches(list: FetchMessageObject[]): FetchMessageObject[][] {
    const batches: FetchMessageObject[][] = [];
    let batch: FetchMessageObject[] = [];
    let bytes = 0;
    for (const m of list) {
      if (batch.length && (batch.length >= this.opts.batchSize! || bytes + (m.size ?? 0) > this.opts.batchBytes!)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(m);
      bytes += m.size ?? 0;
    }
    if (batch.length) batches.push(batch);
    return batches;
  }

  /**
   * Downloads what a batch needs and prepares it: Message-IDs ingested before (or delivered to another of our
   * mailboxes) need no download and count as settled; unread-only mailboxes skip mail already \Seen.
   */
  private async prepareDownload(client: ImapFlow, batch: FetchMessageObject[], skipSeen: boolean): Promise<PreparedDownload> {
    const ids = new Map<number, string>();
    for (const m of batch) {
      const id = normaliseMessageId(m.envelope?.messageId ?? null);
      if (id) ids.set(m.uid, id);
    }
    const known = new Set(
      ids.size ? (await Message.findAll({ where: { channel: 'email', externalId: { [Op.in]: [...new Set(ids.values())] } }, attributes: ['externalId'] })).map((r) => r.externalId) : [],
    );
    const settled: number[] = [];
    const toFetch: number[] = [];
    for (const m of batch) {
      if (known.has(ids.get(m.uid) ?? '')) settled.push(m.uid);
      else if (skipSeen && m.flags?.has('\\Seen')) continue;
      else toFetch.push(m.uid);
    }
    const fetched: FetchedMessage[] = toFetch.length
      ? (await client.fetchAll(toFetch.join(','), { uid: true, source: true }, { uid: true })).filter((m) => m.source).map((m) => ({ uid: m.uid, raw: m.source! }))
      : [];
    return { settled, prepared: fetched.length ? await this.intake.prepareBatch(fetched) : null };
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

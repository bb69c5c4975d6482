import { Op } from 'sequelize';
import type { ParsedEmail } from '../../channels/email/parseEmail';
import { EmailThreadRef, MailIntake, Message } from '../../db/models';
import type { AppContext } from '../context';
import type { StoredBlob } from '../files/blobStore';
import { ingestContact } from '../ingest/ingestContact';
import { logger } from '../log';
import { recordDelivery } from '../outbound/sendOutbound';
import { loadMailboxes } from './mailboxes';
import type { ParsePool } from './parsePool';
import { applyPendingFlagsNow } from './settleOnServer';

const log = logger('email-intake');

/** One message fetched from a mailbox. */
export interface FetchedMessage {
  uid: number;
  raw: Buffer;
}

/** What happened to a batch: which UIDs may be flagged, and how far the cursor may move. */
export interface BatchOutcome {
  /** Ingested now or before (duplicates): safe to flag \Seen / move. */
  settled: number[];
  /** Given up on after N failures: the quarantine holds them; the cursor moves past them. */
  quarantined: number[];
  /** Failed, to be tried again on the next round; the cursor stops before the first of them. */
  failing: number[];
}

/** Counters for /healthz and the benchmark: where the time goes. */
export interface IntakeStats {
  ingested: number;
  duplicates: number;
  automatic: number;
  bounces: number;
  quarantined: number;
  failures: number;
  storeMs: number;
  parseMs: number;
  writeMs: number;
}

/** A batch stored and parsed, ready to be written. */
export interface PreparedBatch {
  messages: FetchedMessage[];
  blobs: StoredBlob[];
  parsed: ({ ok: true; p: ParsedEmail } | { ok: false; error: string })[];
}

export interface IntakeOptions {
  /** Failures before a message is quarantined (default 3). */
  maxAttempts?: number;
  ownDomains: string[];
}

/**
 * Turns fetched raw mail into ingested messages: raw bytes stored content-addressed first, parsed in the
 * worker pool, ordered so originals come before their replies, threaded (also when replies arrived first),
 * ingested through the one door, bounces applied to the message they refer to. Nothing here touches IMAP.
 */
export class EmailIntake {
  readonly stats: IntakeStats = { ingested: 0, duplicates: 0, automatic: 0, bounces: 0, quarantined: 0, failures: 0, storeMs: 0, parseMs: 0, writeMs: 0 };
  private readonly maxAttempts: number;

  constructor(
    private readonly ctx: AppContext,
    private readonly pool: ParsePool,
    private readonly opts: IntakeOptions,
  ) {
    this.maxAttempts = opts.maxAttempts ?? 3;
  }

  /** Processes one batch of one mailbox. Never throws for a bad message: it counts a failure instead. */
  async processBatch(mailboxKey: string, uidValidity: string, messages: FetchedMessage[]): Promise<BatchOutcome> {
    return this.writeBatch(mailboxKey, uidValidity, await this.prepareBatch(messages));
  }

  /**
   * The first half of a batch, which writes nothing to the database: raw bytes stored content-addressed, then
   * parsed in the worker pool. A watcher prepares the next batch while the current one is written.
   */
  async prepareBatch(messages: FetchedMessage[]): Promise<PreparedBatch> {
    let t = Date.now();
    // Raw first: the bytes are safe on disk before anything can fail on them.
    const blobs = await Promise.all(messages.map((m) => this.ctx.blobs.put(m.raw)));
    this.stats.storeMs += Date.now() - t;

    t = Date.now();
    const parsed = await Promise.all(
      messages.map((m) =>
        this.pool.parse(m.raw, this.opts.ownDomains).then(
          (p) => ({ ok: true as const, p }),
          (err: unknown) => ({ ok: false as const, error: (err as Error)?.message ?? String(err) }),
        ),
      ),
    );
    this.stats.parseMs += Date.now() - t;
    return { messages, blobs, parsed };
  }

  /** The second half: ingests a prepared batch in thread order and records failures. */
  async writeBatch(mailboxKey: string, uidValidity: string, prepared: PreparedBatch): Promise<BatchOutcome> {
    const { messages, blobs, parsed } = prepared;
    const outcome: BatchOutcome = { settled: [], quarantined: [], failing: [] };
    const t = Date.now();
    // Originals before replies when the backlog arrived shuffled (Date header, then UID).
    const order = messages.map((_, i) => i).sort((a, b) => {
      const da = parsed[a]!.ok ? (parsed[a] as { p: ParsedEmail }).p.date ?? '' : '';
      const db = parsed[b]!.ok ? (parsed[b] as { p: ParsedEmail }).p.date ?? '' : '';
      return da < db ? -1 : da > db ? 1 : messages[a]!.uid - messages[b]!.uid;
    });
    const refRows: { messageId: number; ref: string }[] = [];
    const earlierFailures = new Set(
      (await MailIntake.findAll({ where: { mailboxKey, uidValidity, uid: { [Op.in]: messages.map((m) => m.uid) }, status: { [Op.ne]: 'ingested' } }, attributes: ['uid'] })).map((r) => r.uid),
    );
    const ingestOne = async (i: number): Promise<void> => {
      const m = messages[i]!;
      const r = parsed[i]!;
      try {
        if (!r.ok) throw new Error(`parse failed: ${r.error}`);
        const p = r.p;
        p.contact.metadata = { ...p.contact.metadata, rawSha256: blobs[i]!.sha256, mailbox: mailboxKey };
        if (p.delivery) await this.applyDeliveryReport(p);
        const hints = await this.threadHints(p, refRows);
        if (hints.length) p.contact.inReplyTo = [...(p.contact.inReplyTo ?? []), ...hints.filter((h) => !p.contact.inReplyTo?.includes(h))].slice(-100);
        const result = await ingestContact(this.ctx, p.contact);
        if (result.duplicate) this.stats.duplicates++;
        else {
          this.stats.ingested++;
          if (p.contact.automatic) this.stats.automatic++;
        }
        if (result.message.direction === 'inbound') {
          for (const ref of new Set([...p.references])) refRows.push({ messageId: result.message.id, ref });
        }
        outcome.settled.push(m.uid);
        if (earlierFailures.has(m.uid)) await MailIntake.update({ status: 'ingested', messageId: result.message.id, error: null }, { where: { mailboxKey, uidValidity, uid: m.uid } });
      } catch (err) {
        const reason = (err as Error)?.message ?? String(err);
        const quarantined = await this.recordFailure(mailboxKey, uidValidity, m, blobs[i]!.sha256, r.ok ? r.p : null, reason);
        (quarantined ? outcome.quarantined : outcome.failing).push(m.uid);
      }
    };
    // Messages of different threads do not depend on each other: each thread's messages run in order (originals
    // before replies), several threads at once, so one commit's latency does not bound the whole backlog.
    const chains = groupByThread(order, messages.map((_, i) => (parsed[i]!.ok ? threadKeys((parsed[i] as { p: ParsedEmail }).p) : [])));
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(THREADS_AT_ONCE, chains.length) }, async () => {
        while (next < chains.length) for (const i of chains[next++]!) await ingestOne(i);
      }),
    );
    if (refRows.length) await EmailThreadRef.bulkCreate(refRows, { ignoreDuplicates: true });
    this.stats.writeMs += Date.now() - t;
    return outcome;
  }

  /**
   * An operator's retry of a quarantined message: parsed again from the stored raw bytes and ingested. On
   * success the row is marked ingested and `flagPending` — the IMAP server still has to be told (\Seen or the
   * move), which retryFromQuarantine tries at once and the mailbox's watcher does on its next connection
   * otherwise. On failure it stays quarantined with the new error.
   */
  async retryQuarantined(row: MailIntake): Promise<{ ok: true; messageId: number; conversationId: number } | { ok: false; error: string }> {
    try {
      const raw = await this.ctx.blobs.get(row.rawSha256);
      const p = await this.pool.parse(raw, this.opts.ownDomains);
      p.contact.metadata = { ...p.contact.metadata, rawSha256: row.rawSha256, mailbox: row.mailboxKey, retriedFromQuarantine: row.id };
      if (p.delivery) await this.applyDeliveryReport(p);
      const hints = await this.threadHints(p, []);
      if (hints.length) p.contact.inReplyTo = [...(p.contact.inReplyTo ?? []), ...hints].slice(-100);
      const result = await ingestContact(this.ctx, p.contact);
      if (!result.duplicate && result.message.direction === 'inbound' && p.references.length) {
        await EmailThreadRef.bulkCreate(p.references.map((ref) => ({ messageId: result.message.id, ref })), { ignoreDuplicates: true });
      }
      // The ingest committed: only now may the server learn we have the message.
      row.status = 'ingested';
      row.messageId = result.message.id;
      row.error = null;
      row.flagPending = true;
      await row.save();
      return { ok: true, messageId: result.message.id, conversationId: result.conversation.id };
    } catch (err) {
      row.attempts += 1;
      row.error = ((err as Error)?.message ?? String(err)).slice(0, 4000);
      row.status = 'quarantined';
      await row.save();
      return { ok: false, error: row.error };
    }
  }

  /**
   * Message-IDs that put this message into an existing case although ingest would not see it from the
   * message's own references: an earlier-ingested reply that refers to this message or to the same thread
   * (it arrived before its original). Looked up in the refs of earlier batches and of this batch so far.
   */
  private async threadHints(p: ParsedEmail, pendingRefs: { messageId: number; ref: string }[]): Promise<string[]> {
    const keys = [p.contact.externalId, ...p.references];
    const ids = new Set<number>(pendingRefs.filter((r) => keys.includes(r.ref)).map((r) => r.messageId));
    const rows = await EmailThreadRef.findAll({ where: { ref: { [Op.in]: keys.slice(-100) } }, attributes: ['messageId'], limit: 20 });
    for (const row of rows) ids.add(row.messageId);
    if (!ids.size) return [];
    const found = await Message.findAll({ where: { id: { [Op.in]: [...ids] }, channel: 'email' }, attributes: ['externalId'], order: [['id', 'ASC']] });
    return found.map((f) => f.externalId).filter((e): e is string => Boolean(e) && e !== p.contact.externalId);
  }

  /** A bounce marks the outbound message it refers to as failed (or delivered), with the server's reason. */
  private async applyDeliveryReport(p: ParsedEmail): Promise<void> {
    const report = p.delivery!;
    if (!report.originalMessageId || report.status === 'delayed') return;
    const original = await Message.findOne({ where: { channel: 'email', direction: 'outbound', externalId: report.originalMessageId } });
    if (!original) return;
    const status = report.status === 'failed' ? 'failed' : 'delivered';
    if (original.deliveryStatus === status) return;
    await recordDelivery(this.ctx, original.id, status, status === 'failed' ? report.reason : null);
    this.stats.bounces++;
  }

  /** Counts a failure; returns true when the message is now quarantined. */
  private async recordFailure(mailboxKey: string, uidValidity: string, m: FetchedMessage, rawSha256: string, parsed: ParsedEmail | null, reason: string): Promise<boolean> {
    this.stats.failures++;
    const error = reason.slice(0, 4000);
    const [row] = await MailIntake.findOrCreate({
      where: { mailboxKey, uidValidity, uid: m.uid },
      defaults: {
        mailboxKey, uidValidity, uid: m.uid, rawSha256, size: m.raw.length,
        subject: (parsed?.contact.subject ?? null)?.slice(0, 998) ?? null,
        fromAddress: parsed?.contact.from.email ?? null,
        status: 'failing', attempts: 0, error, messageId: null,
      },
    });
    row.attempts += 1;
    row.error = error;
    row.rawSha256 = rawSha256;
    if (row.attempts >= this.maxAttempts) row.status = 'quarantined';
    await row.save();
    if (row.status === 'quarantined') {
      this.stats.quarantined++;
      log.warn({ mailboxKey, uid: m.uid, attempts: row.attempts, intakeId: row.id }, 'email quarantined');
      return true;
    }
    log.warn({ mailboxKey, uid: m.uid, attempts: row.attempts }, 'email ingest failed, will retry');
    return false;
  }
}

/** What an operator's retry did: ingested (and whether the IMAP server was told already), or the new error. */
export type RetryResult = ({ ok: true; messageId: number; conversationId: number } | { ok: false; error: string }) & { flagged: boolean };

/**
 * Retries a quarantined message (EmailIntake.retryQuarantined) and, once it is ingested, flags it on its
 * mailbox at once over a short connection. When the mailbox cannot be reached (or is no longer configured),
 * `flagged` is false and the row stays `flagPending` for the watcher's next connection: the flag is late,
 * never lost.
 */
export async function retryFromQuarantine(ctx: AppContext, intake: EmailIntake, row: MailIntake): Promise<RetryResult> {
  const result = await intake.retryQuarantined(row);
  if (!result.ok) return { ...result, flagged: false };
  const spec = (await loadMailboxes(ctx.config)).find((s) => s.key === row.mailboxKey);
  const flagged = await applyPendingFlagsNow(spec);
  if (flagged) await row.reload();
  return { ...result, flagged: flagged && !row.flagPending };
}

/** Threads of one batch ingested at once (each thread's messages in order). */
const THREADS_AT_ONCE = 8;

/** The Message-IDs that tie a parsed message to others: its own, In-Reply-To and References. */
function threadKeys(p: ParsedEmail): string[] {
  return [p.contact.externalId, ...(p.contact.inReplyTo ?? []), ...p.references];
}

/**
 * Splits `order` into chains of messages that share a Message-ID (directly or through others), each chain kept in
 * `order`'s order. Messages with no ids of their own (unparseable) form chains of one.
 */
export function groupByThread(order: number[], keys: string[][]): number[][] {
  const parent = order.map((_, k) => k);
  const find = (k: number): number => (parent[k] === k ? k : (parent[k] = find(parent[k]!)));
  const owner = new Map<string, number>();
  order.forEach((i, k) => {
    for (const key of keys[i] ?? []) {
      const seen = owner.get(key);
      if (seen === undefined) owner.set(key, k);
      else parent[find(k)] = find(seen);
    }
  });
  const chains = new Map<number, number[]>();
  order.forEach((i, k) => {
    const root = find(k);
    chains.set(root, [...(chains.get(root) ?? []), i]);
  });
  return [...chains.values()];
}
